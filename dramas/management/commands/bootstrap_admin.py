from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Creates the development admin account once and prints how to log in."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default=f"http://127.0.0.1:{settings.PORT}")

    def handle(self, *args, username: str, url: str, **options) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("Create production accounts with `manage.py createsuperuser`.")
        # The password is kept beside the development database so `make run` can show it again.
        password_file = settings.SQLITE_PATH.parent / "admin-password.txt"
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None or not password_file.exists():
            password = secrets.token_urlsafe(12)
            if user is None:
                user_model.objects.create_superuser(username=username, password=password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            password_file.write_text(password)
        password = password_file.read_text().strip()
        self.stdout.write(
            f"Admin:    {url}/admin/  (user {username}, password {password})\n"
            f"API docs: {url}/docs\n"
            f"API:      {url}/dramas"
        )
