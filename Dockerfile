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
COPY pyproject.toml README.md ./
COPY badges_project ./badges_project
COPY core ./core
COPY accounts ./accounts
COPY issuers ./issuers
COPY templates_app ./templates_app
COPY earners ./earners
COPY assertions ./assertions
COPY credentials ./credentials
RUN pip install --no-cache-dir .
COPY . .

RUN bash scripts/compile-messages.sh

# collectstatic needs settings but no services: give it throwaway values.
RUN SECRET_KEY=build ALLOWED_HOSTS=build DATABASE_URL=postgres://build@localhost/build \
    CREDENTIALS_ENCRYPTION_KEY=build-only-not-a-real-key-xxxxxxxxxxxxxxxx \
    CELERY_BROKER_URL=redis://localhost:6379/0 python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 badges && mkdir -p /app/media && chown badges /app/media
USER badges
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "badges_project.wsgi"]
