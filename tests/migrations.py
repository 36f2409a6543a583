"""Helpers for the tests that migrate a populated database forward from an earlier state."""

from __future__ import annotations

from django.db.migrations.graph import MigrationGraph

Node = tuple[str, str]


def every_other_app_before(graph: MigrationGraph, ours: list[Node]) -> list[Node]:
    """``ours`` plus every other app at its latest migration that needs none of our apps'
    migrations after ``ours`` (a later migration of another app may point at them: a ledger
    entry's key to a portfolio, a portfolio's target currency)."""
    our_apps = {app for app, _ in ours}
    allowed = {node for target in ours for node in graph.forwards_plan(target)}
    later = {node for node in graph.nodes if node[0] in our_apps} - allowed
    targets = list(ours)
    for leaf in graph.leaf_nodes():
        if leaf[0] in our_apps:
            continue
        node: Node | None = leaf
        while node is not None and later & set(graph.forwards_plan(node)):
            same_app = [p.key for p in graph.node_map[node].parents if p.key[0] == node[0]]
            node = same_app[0] if same_app else None
        if node is not None:
            targets.append(node)
    return targets
