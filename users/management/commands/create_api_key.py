from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ValidationFailed
from users.models import User
from users.services import api_key_create


class Command(BaseCommand):
    help = "Create a personal API key (read and/or info scope) for a user; prints the key alone on its last line."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--scopes", default="read", help="comma-separated: read, info (default: read)"
        )
        parser.add_argument("--name", default="command line")

    def handle(self, *args, email, scopes, name, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(
                f"no user with email {email}; create one first (manage.py createsuperuser or sign up)"
            )
        try:
            new = api_key_create(user=user, name=name, scopes=scopes.split(","))
        except ValidationFailed as exc:
            raise CommandError("; ".join(exc.problems))
        self.stderr.write(
            f"API key '{new.api_key.name}' for {user.email} with scopes {new.api_key.scopes}. "
            "It is shown once: store it now."
        )
        self.stdout.write(new.key)
