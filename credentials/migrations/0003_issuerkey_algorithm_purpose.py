# The keys made so far are Ed25519 VC-JWT keys (EdDSA): they stay published and are
# replaced, on an issuer's next signing, by an RS256 key (OB 3.0 §8.2).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("credentials", "0002_issuerkey_withdrawn"),
    ]

    operations = [
        migrations.AddField(
            model_name="issuerkey",
            name="purpose",
            field=models.CharField(
                choices=[("jwt", "VC-JWT"), ("data_integrity", "Data Integrity proof")],
                default="jwt",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="issuerkey",
            name="algorithm",
            field=models.CharField(
                choices=[
                    ("RS256", "RS256 (RSA 2048+)"),
                    ("ES256", "ES256 (P-256)"),
                    ("EdDSA", "EdDSA (Ed25519)"),
                ],
                default="EdDSA",
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="issuerkey",
            name="public_jwk",
            field=models.JSONField(
                help_text="The public JWK (RSA n/e, EC P-256 x/y, OKP x)."
            ),
        ),
        migrations.RemoveConstraint(
            model_name="issuerkey",
            name="credentials_issuerkey_one_active_per_issuer",
        ),
        migrations.AddConstraint(
            model_name="issuerkey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("active", True)),
                fields=("issuer", "purpose"),
                name="credentials_issuerkey_one_active_per_purpose",
            ),
        ),
        migrations.AddConstraint(
            model_name="issuerkey",
            constraint=models.CheckConstraint(
                condition=models.Q(("purpose", "jwt"), ("algorithm", "EdDSA"), _connector="OR"),
                name="credentials_issuerkey_data_integrity_is_ed25519",
            ),
        ),
    ]
