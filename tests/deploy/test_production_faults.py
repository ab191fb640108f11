"""Issue 26, "done when": the production stack brought up from the documented files, a
5,000-earner assignment, and faults injected while it runs.

- the stack: every process of the `Procfile` (gunicorn with gunicorn.conf.py, one Celery
  worker per queue, beat) with the environment of `deploy/badges.env.example`, its
  values pointed at this test's PostgreSQL (the primary) and a streaming replica of it
  (`pg_basebackup`), a Redis of its own (broker /0, cache /1), an SMTP sink (aiosmtpd)
  and an S3 endpoint (moto) holding the images and the private files. A supervisor does
  what the systemd units say: `Restart=always` after 2 s, and a unit's remaining
  processes killed with its main one.
- the faults: `kill -9` of the bulk worker's main process mid-batch, then of the emails
  worker's main process mid-send, then Redis stopped for 20 s (it comes back empty).
- the checks: the batch done and every email delivered exactly once (one Message-ID per
  earner; a copy sent again after its worker died mid-send carries the same one, and
  at most one row per killed process can be in that state), each within a minute of
  the fault; no 500 from the login page, the token endpoint or the public pages while
  Redis is down; the public reads on the replica.
"""

import glob
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter, defaultdict
from contextlib import contextmanager, suppress
from email.parser import BytesHeaderParser
from pathlib import Path

import boto3
import pytest
import requests
from aiosmtpd.controller import Controller
from django.db import connection
from moto.server import ThreadedMotoServer
from oauth2_provider.models import get_application_model

from accounts.oauth import ensure_public_client
from accounts.tests.factories import UserFactory
from assertions.models import Assertion, AssignmentBatch, BatchStatus
from conftest import services_required
from core.models import EmailStatus, OutboundEmail
from core.testing import BIN, ROOT, free_port, png_bytes
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from tests.reliability.faults import RedisServer

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

N = 5000
PASSWORD = "a-long-password-for-the-stack"  # noqa: S105
REDIS_DOWN_SECONDS = 20
TAKEOVER_SECONDS = 60


def _need_services():
    missing = [p for p in ("redis-server",) if not shutil.which(p)]
    if connection.vendor != "postgresql" or missing or not glob.glob("/usr/lib/postgresql/*/bin"):
        if services_required():
            pytest.fail("needs the PostgreSQL and Redis of make test")
        pytest.skip("needs the PostgreSQL and Redis of make test")


def env_file() -> dict[str, str]:
    lines = (ROOT / "deploy" / "badges.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {
        name: shlex.split(command)
        for name, command in (line.split(":", 1) for line in lines if line.strip())
    }


# --- the services around the stack ------------------------------------------------------


@contextmanager
def streaming_replica():
    """A hot standby of this test's PostgreSQL, logging every statement it runs."""
    db = connection.settings_dict
    pg_bin = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
    workdir = Path(tempfile.mkdtemp(prefix="badges-replica-"))
    workdir.chmod(0o755)
    shutil.chown(workdir, "postgres")
    data, log = workdir / "data", workdir / "log"
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, str(pg_bin / "pg_basebackup"), "-h", db["HOST"], "-p", str(db["PORT"])]
        + ["-U", db["USER"], "-D", str(data), "-R", "-X", "stream", "-c", "fast"],
        check=True,
        timeout=120,
        capture_output=True,
    )
    port = free_port()
    options = f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c max_connections=400"
    options += " -c fsync=off -c log_statement=all -c hot_standby=on"
    subprocess.run(
        [*as_postgres, str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(log), "-w"]
        + ["-o", options, "start"],
        check=True,
        timeout=120,
        capture_output=True,
    )
    try:
        yield f"postgres://{db['USER']}@127.0.0.1:{port}/{db['NAME']}", log
    finally:
        subprocess.run(
            [*as_postgres, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            timeout=60,
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


class Sink:
    """The SMTP server: every message with its recipients and Message-ID."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []  # (recipient, Message-ID)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message_id = BytesHeaderParser().parsebytes(envelope.content)["Message-ID"]
        with self.lock:
            self.received.extend((r, message_id) for r in envelope.rcpt_tos)
        return "250 OK"

    def copies(self) -> list:
        with self.lock:
            return list(self.received)


@contextmanager
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="stack",
        aws_secret_access_key="stack",  # noqa: S106
    )
    for bucket in ("stack-media", "stack-private"):
        s3.create_bucket(Bucket=bucket)
    try:
        yield url, s3
    finally:
        server.stop()


class Supervisor:
    """Runs the Procfile's processes as the systemd units do: Restart=always with
    RestartSec=2, and when a unit's main process ends, the rest of the unit (a worker's
    pool processes) is killed with it (KillMode=mixed)."""

    def __init__(self, env: dict, logdir: Path):
        self.env, self.logdir = env, logdir
        self.commands = procfile()
        self.processes: dict[str, subprocess.Popen] = {}
        self.restarts = Counter()
        self.stopping = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def start(self, role: str) -> None:
        program, *args = self.commands[role]
        with open(self.logdir / f"{role}.log", "a") as log:
            self.processes[role] = subprocess.Popen(
                [str(BIN / program), *args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the unit's control group
            )

    def run(self, *roles: str) -> None:
        for role in roles:
            self.start(role)
        self.thread.start()

    def kill_main(self, role: str) -> int:
        process = self.processes[role]
        os.kill(process.pid, signal.SIGKILL)
        return process.pid

    def _watch(self) -> None:
        while not self.stopping:
            for role, process in list(self.processes.items()):
                if process.poll() is None or self.stopping:
                    continue
                with self.lock:
                    with suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)  # what is left of the unit
                    time.sleep(2)  # RestartSec=2
                    if not self.stopping:
                        self.restarts[role] += 1
                        self.start(role)
            time.sleep(0.2)

    def log(self, role: str) -> str:
        return (self.logdir / f"{role}.log").read_text()[-4000:]

    def stop_all(self) -> None:
        self.stopping = True
        self.thread.join(timeout=10)
        for process in self.processes.values():
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 2  # nothing is checked after the test: no long wait
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_until(condition, timeout: float, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")


# --- the test -------------------------------------------------------------------------


@pytest.fixture
def stack(tmp_path, settings):
    _need_services()
    redis = RedisServer(tmp_path)
    redis.start()
    sink = Sink()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    port = free_port()
    db = connection.settings_dict
    supervisor = None
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    env.update(env_file())  # the documented environment file, its values for here
    env.update(
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL=f"{redis.url}/0",
        REDIS_URL=f"{redis.url}/1",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        EMAIL_USE_TLS="false",
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        MEDIA_ROOT=str(tmp_path / "media"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
        STATIC_ROOT=str(tmp_path / "static"),
        CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "celerybeat-schedule"),
        AWS_STORAGE_BUCKET_NAME="stack-media",
        AWS_PRIVATE_STORAGE_BUCKET_NAME="stack-private",
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID="stack",
        AWS_SECRET_ACCESS_KEY="stack",  # noqa: S106
    )
    assert env["DJANGO_SETTINGS_MODULE"] == "badges_project.settings.production"
    # collectstatic (files only: no database, no bucket) while the replica is made
    collectstatic = subprocess.Popen(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
    )
    try:
        with streaming_replica() as (replica_url, replica_log), s3_endpoint() as (s3_url, s3):
            env.update(DATABASE_REPLICA_URL=replica_url, AWS_S3_ENDPOINT_URL=s3_url)
            supervisor = Supervisor(env, tmp_path)
            supervisor.run("worker_default", "worker_emails", "worker_bulk", "beat")
            assert collectstatic.wait(timeout=300) == 0
            supervisor.start("web")  # whitenoise reads the collected files as it starts
            base = f"http://127.0.0.1:{port}"
            wait_until(lambda: _answers(f"{base}/healthz"), 60, lambda: supervisor.log("web"))
            yield {
                "base": base,
                "sink": sink,
                "redis": redis,
                "supervisor": supervisor,
                "replica_log": replica_log,
                "s3": s3,
            }
    finally:
        if collectstatic.poll() is None:
            collectstatic.kill()
        if supervisor is not None:
            supervisor.stop_all()
        smtp.stop()
        redis.stop()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _no_500_while_redis_is_down(base: str, email: str, public_id: str) -> dict:
    """The login page (shown, a wrong password), a token, the public pages: status codes."""
    codes = {}
    login = requests.get(f"{base}/accounts/login/", timeout=10)
    codes["login page"] = login.status_code
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
    cookie = login.cookies.get("csrftoken")
    wrong = requests.post(
        f"{base}/accounts/login/",
        data={"username": email, "password": "wrong", "csrfmiddlewaretoken": csrf.group(1)},
        headers={"Cookie": f"csrftoken={cookie}"},  # a Secure cookie, sent by hand over http
        timeout=30,
        allow_redirects=False,
    )
    codes["login, wrong password"] = wrong.status_code
    token = requests.post(
        f"{base}/o/token", data={"username": email, "password": PASSWORD}, timeout=30
    )
    codes["token"] = token.status_code
    path = f"{base}/public/assertions/{public_id}"
    page = requests.get(path, headers={"Accept": "text/html"}, timeout=10)
    codes["public page"] = page.status_code
    codes["public json"] = requests.get(f"{path}.json", timeout=10).status_code
    codes["baked image"] = requests.get(f"{path}/image", timeout=30).status_code
    codes["readyz"] = requests.get(f"{base}/readyz", timeout=10).status_code
    return codes


def test_a_5000_earner_assignment_survives_dead_workers_and_redis_down(stack, settings):
    base, sink, supervisor = stack["base"], stack["sink"], stack["supervisor"]
    started = time.monotonic()
    # given an owner with credits, signing in as an API client does
    ensure_public_client(get_application_model())
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    owner = UserFactory(email="owner@stack.example", password=PASSWORD)
    membership = MembershipFactory(user=owner, role=Role.OWNER)
    credits_top_up(issuer=membership.issuer, amount=N)
    token = requests.post(
        f"{base}/o/token", data={"username": owner.email, "password": PASSWORD}, timeout=30
    )
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    # a badge template whose image goes to the S3 endpoint
    created = requests.post(
        f"{base}/v2/issuers/{membership.issuer.entity_id}/badgeclasses",
        files={"image": ("stack.png", png_bytes(text="ST"), "image/png")},
        data={"name": "Stack badge", "description": "Survived", "criteriaUrl": "https://x.org"},
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text
    template_id = created.json()["result"][0]["entityId"]
    assert stack["s3"].list_objects_v2(Bucket="stack-media")["KeyCount"] >= 1

    # when 5,000 earners are assigned (queued: a batch for the bulk worker)
    earners = [
        {"email": f"earner{i}@stack.example", "first_name": "Earner", "last_name": str(i)}
        for i in range(N)
    ]
    queued = requests.post(
        f"{base}/api/v1/assignments",
        json={"badge_template": template_id, "earners": earners, "activity_title": "Stack"},
        headers=headers,
        timeout=120,
    )
    assert queued.status_code == 202, queued.text
    batch = AssignmentBatch.objects.get(entity_id=queued.json()["id"])
    assigned_at = time.monotonic()

    def progress():
        return AssignmentBatch.objects.get(pk=batch.pk)

    def sent():
        return OutboundEmail.objects.filter(status=EmailStatus.SENT).count()

    # fault 1: the bulk worker's main process killed mid-batch
    wait_until(lambda: progress().issued >= 1000, 120, lambda: supervisor.log("worker_bulk"))
    supervisor.kill_main("worker_bulk")
    bulk_killed_at, issued_at_kill = time.monotonic(), progress().issued
    # fault 2: the emails worker's main process killed mid-send
    wait_until(lambda: sent() >= 300, 120, lambda: supervisor.log("worker_emails"))
    supervisor.kill_main("worker_emails")
    emails_killed_at, sent_at_kill = time.monotonic(), sent()
    time.sleep(1)  # the supervisor has killed the rest of the unit: its pool processes
    in_flight = set(
        OutboundEmail.objects.filter(status=EmailStatus.SENDING).values_list("pk", flat=True)
    )
    # fault 3: Redis stopped for 20 s (broker and cache), back empty
    stack["redis"].stop()
    redis_stopped_at = time.monotonic()
    public = Assertion.objects.filter(batch=batch).first()
    probes = []
    while time.monotonic() - redis_stopped_at < REDIS_DOWN_SECONDS - 5:
        probes.append(_no_500_while_redis_is_down(base, owner.email, public.entity_id))
    time.sleep(max(0.0, REDIS_DOWN_SECONDS - (time.monotonic() - redis_stopped_at)))
    stack["redis"].start()
    redis_back_at = time.monotonic()

    # then no 500 while Redis was down: logins, tokens and public pages worked
    for codes in probes:
        assert codes["login page"] == 200, codes
        assert codes["login, wrong password"] == 200, codes  # the form again, with its error
        assert codes["token"] == 200, codes
        assert codes["public page"] == codes["public json"] == codes["baked image"] == 200, codes
        assert codes["readyz"] == 503, codes  # it says what is missing
    # and the public reads went to the replica
    assert public.entity_id in stack["replica_log"].read_text()

    # and the batch is done within a minute of the last fault that held it back (Redis
    # going away a few seconds after its worker died holds back the sweep that resumes it)
    def done():
        return progress().status == BatchStatus.DONE

    wait_until(
        done,
        max(bulk_killed_at, redis_back_at) + TAKEOVER_SECONDS - time.monotonic(),
        lambda: f"the batch ({progress().issued}/{N}): " + supervisor.log("worker_bulk"),
    )
    batch_done_at = time.monotonic()

    # and the emails the dead worker was sending are taken over within a minute of it
    def taken_over():
        return not OutboundEmail.objects.filter(pk__in=in_flight, status=EmailStatus.SENDING)

    wait_until(
        taken_over,
        emails_killed_at + TAKEOVER_SECONDS - time.monotonic(),
        lambda: "the emails in flight: " + supervisor.log("worker_emails"),
    )
    taken_over_at = time.monotonic()
    # and every email is sent: what Redis lost is enqueued again once the emails queue has
    # drained (docs/deployment.md, "Workers that die"), the backlog at ~100 emails/s here
    wait_until(
        lambda: sent() == N and len({r for r, _ in sink.copies()}) == N,
        redis_back_at + 2 * TAKEOVER_SECONDS - time.monotonic(),
        lambda: (
            f"the emails ({sent()}/{N} sent, "
            f"{dict(Counter(OutboundEmail.objects.values_list('status', flat=True)))}): "
            + supervisor.log("worker_emails")
        ),
    )
    all_sent_at = time.monotonic()
    time.sleep(2)  # a duplicate would arrive by now

    # exactly once: one badge and one email (one Message-ID) per earner
    batch = progress()
    assert (batch.issued, batch.failed, batch.credits_used) == (N, 0, N)
    assert Assertion.objects.filter(batch=batch).count() == N
    assert OutboundEmail.objects.count() == N
    copies = sink.copies()
    message_ids = defaultdict(set)
    for recipient, message_id in copies:
        message_ids[recipient].add(message_id)
    assert set(message_ids) == {e["email"] for e in earners}
    assert all(len(ids) == 1 for ids in message_ids.values())
    assert len({next(iter(ids)) for ids in message_ids.values()}) == N
    # a second copy only of a row its worker died sending (the emails worker's pool: 4)
    interrupted = OutboundEmail.objects.filter(interruptions__gt=0).count()
    assert interrupted == len(in_flight) <= 4
    assert len(copies) - N <= interrupted
    assert supervisor.restarts["worker_bulk"] >= 1
    assert supervisor.restarts["worker_emails"] >= 1
    print(
        f"\n5,000-earner batch under faults: bulk worker killed at {issued_at_kill} issued "
        f"({bulk_killed_at - assigned_at:.1f} s in), batch done "
        f"{batch_done_at - bulk_killed_at:.1f} s after "
        f"({batch_done_at - redis_back_at:.1f} s after Redis came back); emails worker killed at "
        f"{sent_at_kill} sent with {len(in_flight)} in flight, taken over "
        f"{taken_over_at - emails_killed_at:.1f} s after; Redis down "
        f"{redis_back_at - redis_stopped_at:.0f} s, every email sent "
        f"{all_sent_at - emails_killed_at:.1f} s after the emails kill "
        f"({all_sent_at - redis_back_at:.1f} s after Redis came back); {len(copies)} SMTP "
        f"deliveries for {N} rows ({interrupted} rows interrupted mid-send); "
        f"{len(probes)} probe rounds while Redis was down; whole test "
        f"{time.monotonic() - started:.0f} s"
    )
