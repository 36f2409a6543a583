"""The audit log: every API and dashboard request that asks to change something leaves one row
(who, with which app or key, what, how it ended, when, the request id); reads leave none; no
row holds a secret; operators read it, and only read it, in the admin."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from oauth2_provider.models import Application
from rest_framework.test import APIClient

from audit.models import AuditEvent
from tests.conftest import make_token
from users.services import api_key_create

pytestmark = pytest.mark.django_db


def bearer(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    return client


def only_row() -> AuditEvent:
    rows = list(AuditEvent.objects.all())
    assert len(rows) == 1, [str(r) for r in rows]
    return rows[0]


def all_text(row: AuditEvent) -> str:
    return " ".join(str(v) for v in AuditEvent.objects.filter(pk=row.pk).values().get().values())


def test_api_create_change_delete_through_an_oauth_app(alice, oauth_app):
    api = bearer(make_token(alice, "read write delete", oauth_app))
    created = api.post("/api/portfolios", {"title": "Savings", "currencies": ["usd"]}, "json")
    assert created.status_code == 201
    portfolio_id = created.json()["result"]["id"]
    row = only_row()
    assert (row.method, row.status, row.object_type, row.object_id) == (
        "POST",
        201,
        "portfolio",
        str(portfolio_id),
    )
    assert row.user == alice and row.user_label == "alice@example.com"
    assert row.credential == AuditEvent.Credential.OAUTH
    assert row.application == oauth_app
    assert row.application_label == f"Test app ({oauth_app.client_id})"
    assert row.route == "api/portfolios" and row.view_name == "api:portfolio-list"
    assert row.request_id == created["X-Request-ID"]

    AuditEvent.objects.all().delete()
    changed = api.patch(f"/api/portfolios/{portfolio_id}", {"title": "Long term"}, "json")
    assert changed.status_code == 200
    row = only_row()
    assert (row.method, row.status, row.object_type, row.object_id) == (
        "PATCH",
        200,
        "portfolio",
        str(portfolio_id),
    )

    AuditEvent.objects.all().delete()
    assert api.delete(f"/api/portfolios/{portfolio_id}").status_code == 200
    row = only_row()
    assert (row.method, row.status, row.object_id) == ("DELETE", 200, str(portfolio_id))


def test_refused_and_failed_changes_are_recorded_too(alice, bob, oauth_app):
    portfolio = bearer(make_token(alice, "read write", oauth_app)).post(
        "/api/portfolios", {"title": "Mine", "currencies": ["usd"]}, "json"
    )
    pid = portfolio.json()["result"]["id"]
    AuditEvent.objects.all().delete()
    # bob tries to delete alice's portfolio: 404, recorded with bob as the actor
    assert (
        bearer(make_token(bob, "read delete")).delete(f"/api/portfolios/{pid}").status_code == 404
    )
    row = only_row()
    assert (row.user, row.status, row.object_type, row.object_id) == (
        bob,
        404,
        "portfolio",
        str(pid),
    )
    assert row.application is None and row.credential == AuditEvent.Credential.OAUTH
    AuditEvent.objects.all().delete()
    # an invalid body: 422
    bad = bearer(make_token(alice, "read write")).post("/api/portfolios", {"title": ""}, "json")
    assert bad.status_code == 422
    assert only_row().status == 422


def test_an_api_key_is_named(alice):
    new = api_key_create(user=alice, name="laptop", scopes=["read"])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=new.key)
    response = client.post("/api/portfolios", {"title": "X", "currencies": ["usd"]}, "json")
    assert response.status_code == 403  # keys are read-only
    row = only_row()
    assert row.credential == AuditEvent.Credential.API_KEY
    assert row.api_key == new.api_key and row.user == alice
    assert row.api_key_label == str(new.api_key)
    assert new.key not in all_text(row)  # the key itself is never stored


def test_reads_leave_no_row(alice, oauth_app):
    api = bearer(make_token(alice, "read write", oauth_app))
    api.post("/api/portfolios", {"title": "Savings", "currencies": ["usd"]}, "json")
    AuditEvent.objects.all().delete()
    client = Client()
    client.force_login(alice)
    for response in (
        api.get("/api/portfolios"),
        api.get("/api/user"),
        api.head("/api/portfolios"),
        api.options("/api/portfolios"),
        client.get("/"),
        client.get("/portfolios/"),
        client.get("/settings/developer/"),
    ):
        assert response.status_code < 400
    assert AuditEvent.objects.count() == 0


def test_dashboard_form_posts(alice):
    client = Client()
    client.force_login(alice)
    response = client.post("/portfolios/new/", {"title": "Savings", "currencies": "usd"})
    assert response.status_code == 302
    row = only_row()
    pid = response["Location"].strip("/").split("/")[-1]
    assert (row.method, row.status, row.view_name) == ("POST", 302, "dashboard:portfolio-new")
    assert (row.object_type, row.object_id) == ("portfolio", pid)
    assert row.credential == AuditEvent.Credential.SESSION and row.user == alice
    assert row.application is None and row.api_key is None

    AuditEvent.objects.all().delete()
    client.post(f"/portfolios/{pid}/offsets/new/", {"offset-title": ""})  # refused form: 200
    row = only_row()
    assert (row.status, row.object_type, row.object_id) == (200, "portfolio", pid)

    AuditEvent.objects.all().delete()
    assert client.post(f"/portfolios/{pid}/delete/").status_code == 302
    row = only_row()
    assert (row.view_name, row.object_type, row.object_id) == (
        "dashboard:portfolio-delete",
        "portfolio",
        pid,
    )


def test_sign_in_and_out_name_the_person_and_hold_no_password(alice):
    client = Client()
    client.post("/auth/login/", {"username": "alice@example.com", "password": "alice-password-1"})
    client.post("/auth/logout/")
    signed_in, signed_out = AuditEvent.objects.order_by("id")
    assert (signed_in.view_name, signed_in.user, signed_in.status) == ("login", alice, 302)
    assert (signed_out.view_name, signed_out.user) == ("logout", alice)
    for row in (signed_in, signed_out):
        assert "alice-password-1" not in all_text(row)


def test_token_requests_name_the_client_never_the_secret(alice):
    app = Application.objects.create(
        name="Script",
        user=alice,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_PASSWORD,
        client_secret="s3cret-s3cret-s3cret",
        hash_client_secret=True,
    )
    basic = base64.b64encode(f"{app.client_id}:s3cret-s3cret-s3cret".encode()).decode()
    Client().post(
        "/oauth/token",
        {"grant_type": "password", "username": "alice@example.com", "password": "nope"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    row = only_row()
    assert row.view_name == "oauth2_provider:token" and row.status >= 400
    assert row.application == app and row.user is None
    text = all_text(row)
    assert "s3cret" not in text and "nope" not in text


def test_a_password_reset_link_is_not_stored(alice):
    """The reset link carries its token in the path: rows keep the URL pattern, never a path."""
    client = Client()
    client.post("/auth/reset/MQ/set-password-token-abc/", {"new_password1": "x"})
    row = only_row()
    assert row.route == "auth/reset/<uidb64>/<token>/"
    assert "set-password-token-abc" not in all_text(row)


def test_operators_read_the_log_in_the_admin_and_cannot_change_it(alice, bob):
    from users.models import User

    User.objects.filter(pk=bob.pk).update(is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(User.objects.get(pk=bob.pk))
    owner = Client()
    owner.force_login(alice)
    owner.post("/portfolios/new/", {"title": "Savings", "currencies": "usd"})
    row = AuditEvent.objects.get(user=alice)

    listing = admin.get("/admin/audit/auditevent/")
    assert listing.status_code == 200
    assert "alice@example.com" in listing.content.decode()
    assert row.request_id in listing.content.decode()
    detail = admin.get(f"/admin/audit/auditevent/{row.pk}/change/")
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # read-only: no save button
    assert admin.get("/admin/audit/auditevent/add/").status_code == 403
    assert admin.get(f"/admin/audit/auditevent/{row.pk}/delete/").status_code == 403
    admin.post(f"/admin/audit/auditevent/{row.pk}/change/", {"status": "200"})
    assert AuditEvent.objects.get(pk=row.pk).status == row.status
    # (the admin's own POST is audited like any other change request)
    assert AuditEvent.objects.filter(user=bob, object_type="audit.auditevent").exists()


def test_prune_keeps_the_retention_period(alice, settings):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    client = Client()
    client.force_login(alice)
    for title in ("Old", "Recent"):
        client.post("/portfolios/new/", {"title": title, "currencies": "usd"})
    old, recent = AuditEvent.objects.order_by("id")
    AuditEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    AuditEvent.objects.filter(pk=recent.pk).update(created_at=timezone.now() - timedelta(days=300))
    settings.AUDIT_RETENTION_DAYS = 365
    call_command("prune_audit")
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    call_command("prune_audit", "--days", "30")
    assert AuditEvent.objects.count() == 0
