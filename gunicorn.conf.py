"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py badges_project.wsgi`.

Every value can be overridden from the environment (GUNICORN_* or the usual
WEB_CONCURRENCY / PORT), so one file serves a laptop and a 32-core machine.
"""

import multiprocessing
import os

# The loopback by default: a proxy on this machine (nginx) terminates TLS in front. Behind a
# load balancer on another machine, GUNICORN_BIND=0.0.0.0:8000 (or a private address).
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Requests are short and mostly wait on PostgreSQL: 2 × cores + 1 processes.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A worker silent this long is killed; a streamed export tells it it is alive as it goes
# (core.streaming, installed by post_fork below), so it may last longer than this. Keep it
# well above 2 s: after each response gunicorn waits up to 2 s, silent, for the client to
# read the rest (util.close_graceful).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak can never take a machine down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # empty: no access log
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Scrubs tokens and passwords from the request lines (`?access_token=`...) and from
# anything else gunicorn logs (core/log_scrub.py).
logger_class = "core.log_scrub.GunicornLogger"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = True


def post_fork(server, worker):
    """Each worker's heartbeat, for responses that stream for long (core.streaming)."""
    from core.streaming import heartbeat_install

    heartbeat_install(worker.notify)


def pre_fork(server, worker):
    """The application the master preloaded (Django, the apps, their hundreds of
    thousands of objects) moves out of reach of the collector before each worker is forked
    (`core.heap.heap_settle`): a worker's full collections then look only at what it made
    itself. Otherwise each one walked the whole preloaded heap, a pause of 150-300 ms about
    once in a hundred requests on a busy machine, which was the 99th percentile of every
    list at 1,000,000 badges (`make bench BENCH_ARGS=--scale`); and the pages it shares with
    the master stay shared, not copied when the collector writes to them."""
    from core.heap import heap_settle

    heap_settle()
