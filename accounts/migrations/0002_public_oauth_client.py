"""The built-in public OAuth2 client `public`, as Badgr has, for the password grant."""

from django.db import migrations

PUBLIC_CLIENT_ID = "public"


def create_public_client(apps, schema_editor):
    from accounts.oauth import ensure_public_client

    ensure_public_client(apps.get_model("oauth2_provider", "Application"))


def remove_public_client(apps, schema_editor):
    apps.get_model("oauth2_provider", "Application").objects.filter(
        client_id=PUBLIC_CLIENT_ID
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("oauth2_provider", "0022_refreshtoken_token_family_index"),
    ]

    operations = [migrations.RunPython(create_public_client, remove_public_client)]
