# One image for web, worker and beat; the command picks the role (see compose.yaml).
# No container engine runs on the development machines, so this file is kept minimal
# and runs exactly the commands the tests run (docs/deployment.md).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=badges_project.settings.production

# Fonts for the text of SVG badge images drawn to PNG (templates_app/images.py).
# gettext: msgfmt compiles the translation catalogues at build (scripts/compile-messages.sh).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# .dockerignore keeps .env, .venv, media/ and var/ of a checkout out of the image.
COPY . .
RUN pip install --no-cache-dir .

RUN bash scripts/compile-messages.sh

# collectstatic needs settings but no services: give it throwaway values.
RUN SECRET_KEY=build ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build \
    CREDENTIALS_ENCRYPTION_KEY=build-only-not-a-real-key-xxxxxxxxxxxxxxxx \
    CELERY_BROKER_URL=redis://localhost:6379/0 python manage.py collectstatic --noinput

# The only places the processes write: uploads, private files, beat's schedule. /app
# itself stays root's.
ENV MEDIA_ROOT=/app/media PRIVATE_MEDIA_ROOT=/app/var/private \
    CELERY_BEAT_SCHEDULE_FILENAME=/app/var/celerybeat-schedule GUNICORN_BIND=0.0.0.0:8000
RUN useradd --system --uid 1000 badges && mkdir -p /app/media /app/var/private \
    && chown badges /app/media /app/var /app/var/private
USER badges
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "badges_project.wsgi"]
