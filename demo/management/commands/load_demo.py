from django.core.management.base import BaseCommand

from demo.loader import demo_load


class Command(BaseCommand):
    help = (
        "Create (or refresh) the demo user and portfolio, and print how to sign in and get a token."
    )

    def handle(self, *args, **options):
        creds = demo_load()
        base = "http://127.0.0.1:8000"
        self.stdout.write(self.style.SUCCESS("\nDemo data is ready."))
        self.stdout.write(
            f"""
  Sign in at      {base}/auth/login/
                  email {creds.email}   password {creds.password}
  API docs        {base}/api/docs

  Get an OAuth2 token (password grant; the demo user allows it):
    curl -s -u '{creds.client_id}:{creds.client_secret}' \\
      -d grant_type=password -d username={creds.email} -d password={creds.password} \\
      -d scope='read write delete' {base}/oauth/token

  Then:  curl -s -H 'Authorization: Bearer ACCESS_TOKEN' {base}/api/portfolios

  Or use this read-only personal API key (shown once):
    curl -s -H 'X-API-KEY: {creds.api_key}' {base}/api/portfolios/{creds.portfolio_id}
"""
        )
