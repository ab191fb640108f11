"""POST /api/v1/assignments: the spec's assignment flow, small (now) and large (batch)."""

import json

import pytest
from django.contrib.auth.hashers import is_password_usable
from django.core import mail

from accounts.models import User
from accounts.tests.factories import UserFactory
from assertions import services
from assertions.models import Assertion, AssignmentBatch, BatchStatus
from assertions.services import batches
from assertions.tests.factories import AssertionFactory
from core.models import EmailKind, OutboundEmail
from core.storage import private_storage
from earners.models import Earner
from issuers.models import CreditLedgerEntry, CreditReason, Issuer
from issuers.services import credits_top_up
from templates_app.services import template_archive
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v1.conftest import client_for
from tests.api_v1.helpers import utc

pytestmark = pytest.mark.django_db


def body(template, earners, **extra):
    return {
        "badge_template": template.entity_id,
        "earners": earners,
        "activity_title": "Python course",
        **extra,
    }


def earners(n, start=0):
    return [
        {"email": f"learner{i}@example.org", "first_name": "Learner", "last_name": str(i)}
        for i in range(start, start + n)
    ]


def balance(issuer) -> int:
    return Issuer.objects.get(pk=issuer.pk).credit_balance


# --- small assignments: done in the request -------------------------------------------------


def test_a_small_assignment_answers_201_with_the_badges(api, template, issuer):
    # given an existing account for one earner
    UserFactory(email="learner1@example.org")
    rows = earners(3)
    rows[2]["metadata"] = {"student_number": "S-3"}
    response = api.post(
        "/api/v1/assignments",
        body(
            template,
            rows,
            activity_started_at="2024-03-01 09:00:00",
            activity_ended_at="2024-03-05 17:00:00",
            notes="Well done",
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    result = response.json()
    assert result["status"] == "done"
    assert (result["total"], result["issued"], result["failed"]) == (3, 3, 0)
    assert result["credits_reserved"] == result["credits_used"] == 3
    assert response["Location"] == f"/api/v1/assignments/{result['id']}"
    badges = result["badges"]
    assert [b["recipient_email"] for b in badges] == [r["email"] for r in rows]
    assert {b["activity_started_at"] for b in badges} == {"2024-03-01 09:00:00"}
    assert {b["notes"] for b in badges} == {"Well done"}
    # the organisation paid one credit per email; everyone was told, new accounts made
    assert balance(issuer) == 47
    kinds = dict(OutboundEmail.objects.values_list("to_email", "kind"))
    assert kinds["learner0@example.org"] == EmailKind.ACCOUNT_CREATED
    assert kinds["learner1@example.org"] == EmailKind.BADGE_AWARDED
    assert not is_password_usable(User.objects.get(email="learner0@example.org").password)
    assert Earner.objects.get(email="learner2@example.org").metadata == {"student_number": "S-3"}
    assert Assertion.objects.get(entity_id=badges[0]["id"]).activity_started_at == utc(
        2024, 3, 1, 8, 0, 0
    )


def test_without_email_nothing_is_charged_or_sent(api, template, issuer):
    response = api.post(
        "/api/v1/assignments", body(template, earners(2), send_email=False), format="json"
    )
    assert response.status_code == 201
    assert response.json()["credits_reserved"] == 0
    assert balance(issuer) == 50
    assert not OutboundEmail.objects.exists()


def test_validity_is_the_templates_default_unless_given(api, issuer):
    template = BadgeTemplateFactory(issuer=issuer, validity_amount=2, validity_unit="years")
    default = api.post("/api/v1/assignments", body(template, earners(1)), format="json").json()
    badge = Assertion.objects.get(entity_id=default["badges"][0]["id"])
    assert badge.expires_at.year == badge.emitted_at.year + 2
    never = api.post(
        "/api/v1/assignments", body(template, earners(1, 1), expires_at=None), format="json"
    ).json()
    assert never["badges"][0]["expires_at"] is None
    given = api.post(
        "/api/v1/assignments",
        body(template, earners(1, 2), expires_at="2040-12-31 23:00:00"),
        format="json",
    ).json()
    assert given["badges"][0]["expires_at"] == "2040-12-31 23:00:00"
    assert Assertion.objects.get(entity_id=given["badges"][0]["id"]).expires_at == utc(
        2040, 12, 31, 22, 0, 0
    )


def test_a_small_assignment_is_all_or_nothing(api, template, issuer):
    # given an earner who already holds the badge
    AssertionFactory(template=template, recipient_email="learner1@example.org")
    response = api.post(
        "/api/v1/assignments", body(template, earners(3), allow_duplicates=False), format="json"
    )
    assert response.status_code == 409
    assert "email" in str(response.json()["field_errors"]["earners"]["1"])
    assert Assertion.objects.count() == 1
    assert not AssignmentBatch.objects.exists()
    assert balance(issuer) == 50


def test_not_enough_credits_is_402_with_the_numbers_and_nothing_issued(api, template, issuer):
    response = api.post("/api/v1/assignments", body(template, earners(51)), format="json")
    assert response.status_code == 402
    error = response.json()
    assert error["code"] == "insufficient_credits"
    assert "needs 51" in error["detail"]
    assert "has 50" in error["detail"]
    assert error["field_errors"]["credits"] == ["Needed: 51. Available: 50."]
    assert not Assertion.objects.exists()
    assert not AssignmentBatch.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert balance(issuer) == 50


# --- large assignments: a batch --------------------------------------------------------------


def test_a_large_assignment_answers_202_and_the_batch_shows_its_progress(
    api, template, issuer, django_capture_on_commit_callbacks
):
    # given 200 credits and two earners who already hold the badge
    credits_top_up(issuer=issuer, amount=150)
    for i in (5, 77):
        AssertionFactory(template=template, recipient_email=f"learner{i}@example.org")
    rows = earners(150)
    rows.append(dict(rows[10]))  # the same earner twice in the file
    rows[3]["metadata"] = {"group": "B"}
    # when 151 earners are assigned without duplicates
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(
            "/api/v1/assignments",
            body(template, rows, allow_duplicates=False, notes="Bulk"),
            format="json",
        )
    # then the answer is 202 with the batch, pending, and credits reserved up front
    assert response.status_code == 202, response.content
    accepted = response.json()
    assert accepted["status"] == "pending"
    assert accepted["total"] == 151
    assert accepted["processed"] == 0
    assert accepted["credits_reserved"] == 151
    assert "badges" not in accepted
    assert response["Location"] == f"/api/v1/assignments/{accepted['id']}"
    assert callbacks  # the run was enqueued on commit (and ran, eagerly)
    # and the batch, run by the task, is done with its counts, errors and credits
    done = api.get(response["Location"]).json()
    assert done["status"] == "done"
    assert (done["issued"], done["failed"], done["processed"]) == (148, 3, 151)
    assert sorted((e["row"], e["field"]) for e in done["errors"]) == [
        (6, "email"),
        (78, "email"),
        (151, "email"),
    ]
    assert done["credits_used"] == 148
    assert done["finished_at"] is not None
    # the badges exist once each, with the context; the unused credits came back
    batch = AssignmentBatch.objects.get(entity_id=accepted["id"])
    assert batch.assertions.count() == 148
    assert set(batch.assertions.values_list("notes", flat=True)) == {"Bulk"}
    assert balance(issuer) == 200 - 148  # the 2 earlier awards sent no email
    reasons = list(CreditLedgerEntry.objects.filter(batch=batch).values_list("reason", "amount"))
    assert sorted(reasons) == [(CreditReason.ASSIGNMENT, -151), (CreditReason.REFUND, 3)]
    assert Earner.objects.get(email="learner3@example.org").metadata == {"group": "B"}
    # every badge has its email, sent; new earners got an account without a password
    assert OutboundEmail.objects.filter(assertion__batch=batch).count() == 148
    assert len(mail.outbox) == 148
    assert not is_password_usable(User.objects.get(email="learner0@example.org").password)
    assert not private_storage.exists(batches.rows_file_name(batch))


def test_a_large_assignment_short_of_credits_is_402_and_records_nothing(
    api, template, issuer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post("/api/v1/assignments", body(template, earners(120)), format="json")
    assert response.status_code == 402
    assert "needs 120" in response.json()["detail"]
    assert "has 50" in response.json()["detail"]
    assert not callbacks
    assert not AssignmentBatch.objects.exists()
    assert not Assertion.objects.exists()
    assert balance(issuer) == 50
    assert not CreditLedgerEntry.objects.filter(reason=CreditReason.ASSIGNMENT).exists()


def test_a_batch_resumes_after_a_crash_without_issuing_twice(
    template, issuer, owner, monkeypatch, django_capture_on_commit_callbacks
):
    # given a queued batch of 130 rows, run in chunks of 50
    credits_top_up(issuer=issuer, amount=100)
    monkeypatch.setattr(batches, "CHUNK", 50)
    with django_capture_on_commit_callbacks(execute=False):
        batch = batches.batch_create(
            template=template, rows=earners(130), actor=owner.user, activity_title="T"
        )
    # when the worker dies in the second chunk
    real = batches.assertions_award
    calls = []

    def crash_on_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            real(**kwargs)  # wrote its rows... then the transaction is lost
            raise ConnectionError("worker lost")
        return real(**kwargs)

    monkeypatch.setattr(batches, "assertions_award", crash_on_second)
    with pytest.raises(ConnectionError):
        batches.batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.RUNNING
    assert batch.issued == 50
    assert Assertion.objects.filter(batch=batch).count() == 50
    # then running it again finishes it: every row once, credits exact
    monkeypatch.setattr(batches, "assertions_award", real)
    with django_capture_on_commit_callbacks(execute=False):
        batches.batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert (batch.issued, batch.failed, batch.credits_used) == (130, 0, 130)
    assert Assertion.objects.filter(batch=batch).count() == 130
    assert Assertion.objects.values("earner").distinct().count() == 130
    # and again changes nothing
    batches.batch_run(batch_id=batch.pk)
    assert Assertion.objects.filter(batch=batch).count() == 130


def test_a_batch_that_cannot_run_fails_and_refunds(template, issuer, owner, monkeypatch):
    from assertions.tasks import run_assignment_batch

    credits_top_up(issuer=issuer, amount=100)
    batch = batches.batch_create(
        template=template, rows=earners(120), actor=owner.user, activity_title="T"
    )
    private_storage.delete(batches.rows_file_name(batch))  # the rows are lost
    assert run_assignment_batch.delay(batch.pk).get() == BatchStatus.FAILED
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert batch.issued == 0
    assert "cannot be read" in batch.errors[-1]["message"]
    assert balance(issuer) == 150


def test_an_unexpected_error_stops_the_batch_and_keeps_what_was_issued(
    template, issuer, owner, monkeypatch, django_capture_on_commit_callbacks
):
    from assertions.tasks import run_assignment_batch

    credits_top_up(issuer=issuer, amount=100)
    monkeypatch.setattr(batches, "CHUNK", 60)
    batch = batches.batch_create(
        template=template, rows=earners(120), actor=owner.user, activity_title="T"
    )
    real = batches.assertions_award
    calls = []

    def broken_second_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("bug")
        return real(**kwargs)

    monkeypatch.setattr(batches, "assertions_award", broken_second_chunk)
    # the start enqueues a task per chunk (run inline, in order, once it commits)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_assignment_batch.delay(batch.pk).get() == BatchStatus.RUNNING
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert (batch.issued, batch.failed, batch.credits_used) == (60, 0, 60)
    assert Assertion.objects.filter(batch=batch).count() == 60
    assert "RuntimeError" in batch.errors[-1]["message"]
    assert balance(issuer) == 150 - 60


def test_assignments_list_and_scoping(api, outsider_api, template):
    created = api.post("/api/v1/assignments", body(template, earners(1)), format="json").json()
    listed = api.get("/api/v1/assignments?status=done").json()
    assert [a["id"] for a in listed["results"]] == [created["id"]]
    assert api.get("/api/v1/assignments?status=lost").status_code == 400
    assert outsider_api.get("/api/v1/assignments").json()["count"] == 0
    assert outsider_api.get(f"/api/v1/assignments/{created['id']}").status_code == 404


def test_idempotency_key_replays_the_first_answer(api, template, issuer):
    first = api.post(
        "/api/v1/assignments",
        body(template, earners(2)),
        format="json",
        HTTP_IDEMPOTENCY_KEY="assign-1",
    )
    again = api.post(
        "/api/v1/assignments",
        body(template, earners(2)),
        format="json",
        HTTP_IDEMPOTENCY_KEY="assign-1",
    )
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Assertion.objects.count() == 2
    assert balance(issuer) == 48


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"badge_template": None}, "badge_template"),
        ({"badge_template": "no-such-template-id-00"}, "badge_template"),
        ({"earners": []}, "earners"),
        ({"earners": "ann@example.org"}, "earners"),
        ({"earners": [{"email": "ann@example.org"}, {"email": "not an email"}]}, "earners"),
        ({"earners": [{"email": "ann@example.org", "metadata": "x"}]}, "earners"),
        ({"earners": [{"email": "ann@example.org", "age": 3}]}, "earners"),
        ({"activity_title": ""}, "activity_title"),
        ({"activity_started_at": "soon"}, "activity_started_at"),
        (
            {
                "activity_started_at": "2024-03-05 09:00:00",
                "activity_ended_at": "2024-03-01 09:00:00",
            },
            "activity_ended_at",
        ),
        ({"expires_at": "2001-01-01 00:00:00"}, "expires_at"),
        ({"send_email": "perhaps"}, "send_email"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_assignments_are_400_with_field_errors(api, template, issuer, change, field):
    payload = {**body(template, earners(2)), **change}
    payload = {k: v for k, v in payload.items() if v is not None}
    response = api.post("/api/v1/assignments", payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["field_errors"]
    assert not Assertion.objects.exists()
    assert balance(issuer) == 50


def test_a_bad_row_is_named_by_its_position(api, template):
    rows = [{"email": "ann@example.org"}, {"email": "nope"}]
    response = api.post("/api/v1/assignments", body(template, rows), format="json")
    # keyed by the position in the list, from 0, as in the request body
    assert response.json()["field_errors"]["earners"] == {
        "1": {"email": ["Enter a valid email address."]}
    }


def test_an_archived_template_cannot_be_assigned(api, template):
    template_archive(template=template)
    response = api.post("/api/v1/assignments", body(template, earners(1)), format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "template_archived"


def test_another_organisations_template_is_unknown(outsider_api, template):
    response = outsider_api.post("/api/v1/assignments", body(template, earners(1)), format="json")
    assert response.status_code == 400
    assert "badge_template" in response.json()["field_errors"]


def test_a_read_only_token_cannot_assign(owner, template):
    api = client_for(owner.user, scope="r:issuer")
    response = api.post("/api/v1/assignments", body(template, earners(1)), format="json")
    assert response.status_code == 403
    assert not Assertion.objects.exists()


def test_a_member_without_a_role_high_enough_is_403(template, user):
    # a superuser-free person who is a member of nothing sees no template: 400;
    # the role check itself is the service's, reached through a membership
    from issuers.models import IssuerMembership

    IssuerMembership.objects.create(issuer=template.issuer, user=user, role="staff")
    api = client_for(user)
    response = api.post("/api/v1/assignments", body(template, earners(1)), format="json")
    assert response.status_code == 201  # staff may assign


def test_with_the_broker_down_the_batch_is_kept_and_the_sweep_runs_it(
    api, template, issuer, monkeypatch, django_capture_on_commit_callbacks
):
    from assertions import tasks

    credits_top_up(issuer=issuer, amount=100)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    # given a large assignment accepted while the broker is unreachable
    monkeypatch.setattr(tasks.run_assignment_batch, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/assignments", body(template, earners(101)), format="json")
    assert response.status_code == 202
    batch = AssignmentBatch.objects.get(entity_id=response.json()["id"])
    assert batch.status == BatchStatus.PENDING
    # when the periodic sweep finds it stale (and the broker is back)
    monkeypatch.undo()
    AssignmentBatch.objects.filter(pk=batch.pk).update(updated_at=utc(2020, 1, 1, 0, 0, 0))
    with django_capture_on_commit_callbacks(execute=True):
        assert batches.batches_resume_stale() == 1
    # then it runs to the end
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert batch.issued == 101
    assert batches.batches_resume_stale() == 0


# --- request size ----------------------------------------------------------------------------


def test_the_largest_assignment_fits_in_one_request(api, template, issuer):
    # given the most earners one assignment takes, with metadata: over Django's 2.5 MB default
    rows = [
        {
            "email": f"maria.antonietta.learner{i}@students.university.example",
            "first_name": "Maria Antonietta",
            "last_name": f"Bianchi-Rossi {i}",
            "metadata": {
                "student_id": f"S-{i:08d}",
                "cohort": "2026 spring, evening",
                "programme": "Master of Science in Data Engineering",
                "track": "remote",
            },
        }
        for i in range(services.MAX_EARNERS)
    ]
    payload = body(template, rows)
    assert len(json.dumps(payload, separators=(",", ":"))) > 2.5 * 1024 * 1024
    # when it is sent, then it is read and checked: what is missing is only the credits
    response = api.post("/api/v1/assignments", payload, format="json")
    assert response.status_code == 402, response.content[:300]
    assert not AssignmentBatch.objects.exists()


def test_a_body_over_the_limit_is_413_in_the_error_shape_and_saves_nothing(api, template, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    response = api.post("/api/v1/assignments", body(template, earners(100)), format="json")
    assert response.status_code == 413
    error = response.json()
    assert error["code"] == "request_too_large"
    assert "larger than the 2,000 bytes this server accepts" in error["detail"]
    assert not AssignmentBatch.objects.exists()
    assert not Assertion.objects.exists()
