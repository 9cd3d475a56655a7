"""The one service API. The CLI, the dashboard, importers and tests all go through `FilingService`.

Every public method is one unit of work: it opens a transaction, converts rows to domain objects
before returning, and translates database errors into `tracker.errors`. A state change writes the
new stage, its history row, its outbox rows and the revision bump in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

import states
from states import Event, GuardContext, Kind, Outcome, Role, Stage, UnknownName
from tracker.config import Settings
from tracker.domain import AdvanceResult, Filing, FilingDraft, FilingQuery, Organisation, Transition
from tracker.errors import Conflict, StorageError, TrackerError, TransitionRefused, UsageError
from tracker.store import repo
from tracker.store.engine import Store, Work
from tracker.store.tables import FilingRow, OrganisationRow, TransitionRow

if TYPE_CHECKING:
    from tracker.notify.service import NotifyService
    from tracker.rules.service import RulesService

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "description",
        "role",
        "algorithm_type",
        "upstream_model",
        "upstream_filing_number",
        "public_opinion",
        "launch_date",
        "change_date",
        "termination_date",
    }
)
_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class EventRequest:
    """One event to apply, as `advance` takes it (also a line of `beian apply`)."""

    ref: str | int
    event: Event | str
    note: str | None = None
    reason: str | None = None
    filing_number: str | None = None
    at: datetime | None = None
    actor: str | None = None
    source: str = "cli"
    if_version: int | None = None
    reopen: tuple[str, ...] = ()


def _upstream_number(raw: str | None) -> str | None:
    """The algorithm filing number of an upstream model read from pasted text (its type may differ from ours).

    Raises UsageError quoting the text as typed when it holds no algorithm filing number, or two.
    """
    if not raw or not raw.strip():
        return None
    try:
        number = states.extract_filing_number(raw, Kind.ALGORITHM).number
    except states.FilingNumberError as exc:
        raise UsageError(f"upstream filing number: {exc}") from None
    if not states.ALGO_FILING_NO.match(number):
        raise UsageError(
            f"upstream filing number {raw!r} is not an algorithm filing number",
            hint="type digits 14-15 must be 01-05, e.g. 网信算备110108823483901230031号",
        )
    return number


def _issued_number(kind: Kind, typed: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The number to store for an approval, read from pasted text, and what reading it ignored or doubted.

    Text that holds no usable number is passed on as typed, so that the approval guard refuses it and quotes it.
    """
    if not typed or kind is Kind.ENTITY:
        return (states.normalise_filing_number(typed) or None) if typed else None, ()
    try:
        found = states.extract_filing_number(typed, kind)
    except states.FilingNumberError:
        return typed, ()
    return found.number, tuple(f"filing number: {note}" for note in (*found.notes, *found.warnings))


def as_event(value: Event | str) -> Event:
    """Accept an Event or its English or Chinese name."""
    if isinstance(value, Event):
        return value
    try:
        return states.parse_event(value)
    except UnknownName as exc:
        raise UsageError(str(exc)) from None


class FilingService:
    """Organisations, filings, their events and history."""

    def __init__(
        self, store: Store, settings: Settings | None = None, *, clock: Clock = repo.now_utc
    ) -> None:
        self.store = store
        self.settings = settings or Settings()
        self.clock = clock
        self._notify: NotifyService | None = None
        self._rules: RulesService | None = None

    # -- collaborators, built on first use so that `beian advance` imports neither ------------------

    @property
    def notify(self) -> NotifyService:
        """Recipients, outbox and delivery (SMS)."""
        if self._notify is None:
            from tracker.notify.service import NotifyService

            self._notify = NotifyService(self.store, self.settings, clock=self.clock)
        return self._notify

    @property
    def rules(self) -> RulesService:
        """Materials, deadlines and forecasts."""
        if self._rules is None:
            from tracker.rules.service import RulesService

            self._rules = RulesService(self.store, self.settings, clock=self.clock)
        return self._rules

    # -- organisations ---------------------------------------------------------------------------

    def add_organisation(self, name: str, credit_code: str, region: str | None = None) -> Organisation:
        """Register an organisation; its unified social credit code must carry a valid check character."""
        from tracker.identity import check_credit_code, normalise_credit_code

        name = name.strip()
        if not name:
            raise UsageError("an organisation needs a name")
        problem = check_credit_code(credit_code)
        if problem:
            raise UsageError(problem)
        code = normalise_credit_code(credit_code)
        if (
            region is not None
            and region.strip()
            and not (region.strip().isdigit() and len(region.strip()) == 6)
        ):
            raise UsageError(
                f"region {region!r} is not a 6-digit administrative code (e.g. 110108 for 海淀区)"
            )
        row = OrganisationRow(
            name=name,
            credit_code=code,
            region=(region or "").strip() or None,
            created_at=repo.to_db(self.clock()),
        )
        try:
            with self.store.unit() as session:
                session.add(row)
                session.flush()
                repo.bump_revision(session)
                return repo.organisation_from_row(row)
        except IntegrityError:
            raise UsageError(
                f"an organisation named {name!r} or with credit code {code} exists already"
            ) from None

    def organisations(self) -> list[Organisation]:
        """Every organisation, by name."""
        with self.store.unit() as session:
            return [repo.organisation_from_row(r) for r in repo.organisations(session)]

    def organisation(self, key: str | int) -> Organisation:
        """One organisation by id, name or credit code."""
        with self.store.unit() as session:
            return repo.organisation_from_row(repo.find_organisation(session, key))

    # -- filings ---------------------------------------------------------------------------------

    def add_filing(self, draft: FilingDraft, *, actor: str | None = None) -> Filing:
        """Create a filing in `draft`; an organisation has at most one live entity filing."""
        title = draft.title.strip()
        if not title:
            raise UsageError("a filing needs a title")
        kind = draft.kind
        role, algorithm_type = draft.role, draft.algorithm_type
        if kind is Kind.ENTITY:
            role, algorithm_type = None, None
        elif kind is Kind.ALGORITHM:
            role = role or Role.PROVIDER
            algorithm_type = algorithm_type or states.AlgorithmType.GENERATIVE
        else:
            algorithm_type = algorithm_type or states.AlgorithmType.GENERATIVE
        upstream_number = _upstream_number(draft.upstream_filing_number)
        now = repo.to_db(self.clock())
        with self.store.unit() as session:
            org = repo.find_organisation(session, draft.organisation)
            assert org.id is not None
            if kind is Kind.ENTITY:
                self._refuse_second_entity(session, org)
            seq = repo.next_seq(session, kind)
            row = FilingRow(
                ref=repo.make_ref(kind, seq),
                seq=seq,
                kind=kind.value,
                title=title,
                organisation_id=org.id,
                role=role.value if role else None,
                algorithm_type=algorithm_type.value if algorithm_type else None,
                upstream_model=(draft.upstream_model or "").strip() or None,
                upstream_filing_number=upstream_number,
                stage=states.initial_stage(kind).value,
                public_opinion=draft.public_opinion,
                launch_date=draft.launch_date,
                description=draft.description,
                created_at=now,
                updated_at=now,
                stage_entered_at=now,
            )
            session.add(row)
            session.flush()
            repo.bump_revision(session)
            return repo.filing_from_mapping({**row.model_dump(), "organisation_name": org.name})

    @staticmethod
    def _refuse_second_entity(session: Session, org: OrganisationRow) -> None:
        assert org.id is not None
        live = repo.live_entity_filing(session, org.id)
        if live:
            raise UsageError(f"{org.name} already has an entity filing ({live})", hint="one per organisation")

    def update_filing(self, ref: str | int, *, if_version: int | None = None, **fields: Any) -> Filing:
        """Edit descriptive fields (title, role, type, upstream model, trigger dates…), never the stage."""
        unknown = set(fields) - EDITABLE_FIELDS
        if unknown:
            raise UsageError(
                f"cannot edit {', '.join(sorted(unknown))}",
                hint=f"editable: {', '.join(sorted(EDITABLE_FIELDS))}",
            )
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()}
        if "title" in values and not str(values["title"] or "").strip():
            raise UsageError("a filing needs a title")
        if "upstream_filing_number" in values:
            values["upstream_filing_number"] = _upstream_number(values["upstream_filing_number"])
        with self.store.unit() as session:
            filing = repo.load_filing(session, ref)
            self._check_version(filing, if_version)
            values["updated_at"] = repo.to_db(self.clock())
            repo.update_filing_checked(session, filing["id"], filing["version"], values)
            repo.bump_revision(session)
            return repo.filing_from_mapping({**filing, **values, "version": filing["version"] + 1})

    def filing(self, ref: str | int) -> Filing:
        """One filing by reference (`ALG-0001`) or numeric id."""
        with self.store.unit() as session:
            return repo.filing_from_mapping(repo.load_filing(session, ref))

    def filings(self, query: FilingQuery | None = None) -> list[Filing]:
        """Filings matching the query, sorted and windowed."""
        with self.store.unit() as session:
            return [repo.filing_from_plain(r) for r in repo.list_rows(session, query or FilingQuery())]

    def filing_rows(self, query: FilingQuery | None = None) -> list[Any]:
        """Like `filings` but as plain mapping rows, for bulk export (`beian list --json` over 100k filings)."""
        with self.store.unit() as session:
            return [r._mapping for r in repo.list_rows(session, query or FilingQuery())]

    def export_json(self, query: FilingQuery | None = None) -> Iterator[list[bytes]]:
        """Matching filings as UTF-8 JSON objects (the `beian list --json` shape), in batches of 1,000.

        On SQLite the database renders them (`repo.list_json`), several times faster over 100,000 filings;
        elsewhere `tracker.render.filing_json` does, with the same keys, order and values.
        """
        query = query or FilingQuery()
        with self.store.unit() as session:
            batches = repo.list_json(session, query)
            if batches is not None:
                for batch in batches:
                    yield list(batch)
                return
        import json

        from tracker.render import filing_json

        encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        rows = self.filing_rows(query)
        for start in range(0, len(rows), 1000):
            yield [encode(filing_json(row)).encode() for row in rows[start : start + 1000]]

    def count(self, query: FilingQuery | None = None) -> int:
        """How many filings match the query (ignoring its window)."""
        with self.store.unit() as session:
            return repo.count_rows(session, query or FilingQuery())

    def stage_counts(self, query: FilingQuery | None = None) -> dict[Stage, int]:
        """Filings per stage under the query's other filters."""
        with self.store.unit() as session:
            return repo.stage_counts(session, query or FilingQuery())

    def history(self, ref: str | int) -> list[Transition]:
        """A filing's events, oldest first."""
        with self.store.unit() as session:
            return repo.history(session, repo.load_filing(session, ref)["id"])

    def revision(self) -> int:
        """A counter that grows with every write; poll it to learn that something changed."""
        with self.store.unit() as session:
            return repo.read_revision(session)

    # -- events ----------------------------------------------------------------------------------

    def events(self, ref: str | int) -> list[Outcome]:
        """Every event leaving the filing's stage: allowed ones, and refused ones with their reasons."""
        with self.store.unit() as session:
            ctx = self._context(session, repo.load_filing(session, ref), None, explain_all=True)
            return states.options(ctx)

    def advance(
        self,
        ref: str | int,
        event: Event | str,
        *,
        note: str | None = None,
        reason: str | None = None,
        filing_number: str | None = None,
        at: datetime | None = None,
        actor: str | None = None,
        source: str = "cli",
        if_version: int | None = None,
        reopen: tuple[str, ...] = (),
    ) -> AdvanceResult:
        """Apply one event: stage, history row, outbox rows and revision bump commit together, or nothing does."""
        request = EventRequest(ref, event, note, reason, filing_number, at, actor, source, if_version, reopen)
        return self.advance_many([request])[0]

    def advance_many(self, requests: list[EventRequest], *, atomic: bool = False) -> list[AdvanceResult]:
        """Apply events in order, each in its own transaction (or all in one with `atomic`).

        Without `atomic` the first failure is raised after the earlier events committed; callers that
        want to go on (`beian apply`) call this once per line.
        """
        results: list[AdvanceResult] = []
        if atomic:
            with self._writing(requests[0] if len(requests) == 1 else None), self.store.work() as work:
                for request in requests:
                    try:
                        results.append(self._advance_in(work, request))
                    except TrackerError as exc:
                        exc.index = len(results)  # type: ignore[attr-defined]
                        raise
            return [self._with_warnings(r) for r in results]
        for request in requests:
            with self._writing(request), self.store.work() as work:
                results.append(self._advance_in(work, request))
        return [self._with_warnings(r) for r in results]

    @contextmanager
    def _writing(self, request: EventRequest | None) -> Iterator[None]:
        """Turn a unique-constraint race on the filing number into a refusal."""
        try:
            yield
        except IntegrityError as exc:
            if "filing_number" in str(exc.orig):
                number = request.filing_number if request else None
                raise TransitionRefused(
                    f"filing number {number or ''} is already used by another filing".replace("  ", " ")
                ) from None
            raise StorageError(f"the database refused the change: {str(exc.orig).splitlines()[0]}") from None

    def _advance_in(self, session: Work, request: EventRequest) -> AdvanceResult:
        # The hot path of every CLI update and `beian apply` line: Core statements, three round trips
        # (load, update, insert) plus the revision bump; ORM rows are built only for the hooks that need them.
        ev = as_event(request.event)
        now = self.clock()
        effective = request.at or now
        if effective > now + _CLOCK_SKEW:
            raise UsageError(f"effective time {effective.isoformat()} is in the future")
        reason = (request.reason or "").strip() or None
        filing = repo.load_filing(session, request.ref)
        number, number_notes = _issued_number(Kind(filing["kind"]), request.filing_number)
        self._check_version(filing, request.if_version)
        previous = filing["last_effective"]
        if previous is not None and effective < previous:
            raise UsageError(
                f"effective time {effective.isoformat()} is before the previous event of {filing['ref']} "
                f"({previous.isoformat()})"
            )
        context = replace(self._context(session, filing, ev), filing_number=number, reason=reason)
        if ev is Event.APPROVE and number:
            holder = repo.number_in_use(session, number, filing["id"])
            if holder:  # name the other filing rather than only saying the number is taken
                refusal = (f"filing number {number} is already used by {holder}",)
                context = replace(context, extra_refusals={**context.extra_refusals, Event.APPROVE: refusal})
        outcome = states.evaluate(context, ev)
        if not outcome.allowed:
            raise TransitionRefused(
                f"cannot {ev.value} ({states.zh(ev, context.kind)}) {filing['ref']}: {'; '.join(outcome.refusals)}",
                reasons=outcome.refusals,
            )
        assert outcome.dest is not None
        values: dict[str, Any] = {
            "stage": outcome.dest.value,
            "updated_at": repo.to_db(now),
            "stage_entered_at": repo.to_db(effective),
        }
        if ev is Event.RETURN_FOR_REVISION:
            values["returned_from"] = filing["stage"]
            values["returns"] = filing["returns"] + 1
        if ev is Event.APPROVE and number:
            values["filing_number"] = number
        repo.update_filing_checked(session, filing["id"], filing["version"], values)
        transition: dict[str, Any] = {
            "filing_id": filing["id"],
            "event": ev.value,
            "from_stage": filing["stage"],
            "to_stage": outcome.dest.value,
            "effective_at": repo.to_db(effective),
            "recorded_at": repo.to_db(now),
            "actor": request.actor,
            "source": request.source,
            "note": (request.note or "").strip() or None,
            "reason": reason,
            "filing_number": number if ev is Event.APPROVE else None,
        }
        transition["id"] = repo.insert_transition(session, transition)
        after = {**filing, **values, "version": filing["version"] + 1}
        queued = self._after_transition(session, after, transition, request.reopen)
        repo.bump_revision(session)
        notes = number_notes if ev is Event.APPROVE else ()
        return AdvanceResult(
            repo.filing_from_mapping(after), repo.transition_from_mapping(transition), notes, queued
        )

    def _with_warnings(self, result: AdvanceResult) -> AdvanceResult:
        if result.transition.event is not Event.APPROVE:
            return result
        found = self._warnings(result.filing, result.transition.effective_at)
        return replace(result, warnings=(*result.warnings, *found))

    # -- internals -------------------------------------------------------------------------------

    @staticmethod
    def _check_version(filing: Mapping[str, Any], if_version: int | None) -> None:
        if if_version is not None and filing["version"] != if_version:
            raise Conflict(
                f"{filing['ref']} is at version {filing['version']}, not {if_version}: someone changed it meanwhile",
                hint="look at it again and retry",
            )

    def _context(
        self,
        session: Session | Work,
        filing: Mapping[str, Any],
        event: Event | None,
        *,
        explain_all: bool = False,
    ) -> GuardContext:
        """Facts the guards need, computed only for the events that need them."""
        needs_entity = explain_all or event is Event.SUBMIT
        needs_materials = explain_all or event in (Event.SUBMIT, Event.RESUBMIT)
        context = GuardContext(
            kind=Kind(filing["kind"]),
            stage=Stage(filing["stage"]),
            returned_from=Stage(filing["returned_from"]) if filing["returned_from"] else None,
            algorithm_type=states.AlgorithmType(filing["algorithm_type"])
            if filing["algorithm_type"]
            else None,
            entity_approved=repo.entity_approved(session, filing["organisation_id"])
            if needs_entity
            else False,
        )
        if needs_materials:
            from tracker.rules.service import beijing_date, guard_facts

            context = guard_facts(
                session if isinstance(session, Session) else session.session,
                repo.filing_row(filing),
                context,
                settings=self.settings,
                materials=True,
                on=beijing_date(self.clock()),
            )
        return context

    def _after_transition(
        self, work: Work, filing: Mapping[str, Any], transition: Mapping[str, Any], reopen: tuple[str, ...]
    ) -> int:
        """Work that commits with the transition: reopened materials and outbox rows. Returns outbox rows added.

        `filing` holds the filing as the transition left it (stage, filing number).
        """
        from tracker.notify.outbox import NOTIFIABLE_EVENTS, enqueue_for_transition

        notify = transition["event"] in NOTIFIABLE_EVENTS
        if not reopen and not notify:
            return 0
        row = repo.filing_row(filing)
        if reopen:
            from tracker.rules.service import reopen_materials

            reopen_materials(work.session, row, reopen, now=transition["recorded_at"], settings=self.settings)
        if not notify:
            return 0
        return enqueue_for_transition(
            work.session,
            filing=row,
            organisation_name=filing["organisation_name"],
            transition=TransitionRow(**transition),
            now=transition["recorded_at"],
            language_default=self.settings.sms_language,
        )

    def _warnings(self, filing: Filing, effective: datetime) -> list[str]:
        """Inferred checks (DOMAIN G8, G9): worth a warning, never a refusal."""
        if not filing.filing_number:
            return []
        warnings = list(states.filing_number_warnings(filing.filing_number, effective.year))
        from tracker.identity import region_warning

        problem = region_warning(filing.filing_number, self.organisation(filing.organisation_id).region)
        if problem:
            warnings.append(problem)
        return warnings
