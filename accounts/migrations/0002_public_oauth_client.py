"""The built-in public OAuth2 client `public`, as Badgr has, for the password grant."""

from django.db import migrations

PUBLIC_CLIENT_ID = "public"


def create_public_client(apps, schema_editor):
    Application = apps.get_model("oauth2_provider", "Application")
    Application.objects.get_or_create(
        client_id=PUBLIC_CLIENT_ID,
        defaults={
            "name": "Built-in public client (password grant)",
            "client_type": "public",
            "authorization_grant_type": "password",
            "client_secret": "",
            "skip_authorization": True,
        },
    )


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
