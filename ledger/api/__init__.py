"""The ledger's API: transactions (rows), transfers between the user's wallets, inventory."""
