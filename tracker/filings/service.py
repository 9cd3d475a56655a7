"""The one service API. The CLI, the dashboard, importers and tests all go through `FilingService`.

Every public method is one unit of work: it opens a transaction, converts rows to domain objects
before returning, and translates database errors into `tracker.errors`. A state change writes the
new stage, its history row, its outbox rows and the revision bump in the same transaction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import states
from states import Event, Kind, Outcome, Role
from tracker.domain import (
    AdvanceResult,
    Filing,
    FilingDraft,
    Organisation,
    Transition,
    inputs,
    limits,
)
from tracker.domain.limits import check_text
from tracker.errors import UsageError
from tracker.filings import events as _events
from tracker.filings import repo, repo_seen
from tracker.filings.events import EventRequest
from tracker.filings.listing import ListingMixin, SeenMixin
from tracker.store.base import StoreService
from tracker.store.revision import bump_revision, read_revision
from tracker.timeutil import now_utc, to_db

if TYPE_CHECKING:
    from datetime import datetime

    from tracker.config import Settings
    from tracker.notify.service import NotifyService
    from tracker.rules.service import RulesService
    from tracker.store.changes import ChangeFeed
    from tracker.store.db import Store
    from tracker.timeutil import Clock

__all__ = ["EDITABLE_FIELDS", "EventRequest", "FilingService"]

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


_TEXT_LIMITS = {
    "title": limits.TITLE,
    "upstream_model": limits.UPSTREAM_MODEL,
    "description": limits.DESCRIPTION,
}
"""The free-text fields of a filing and their length limits (`tracker.domain.limits`)."""


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


_TRIGGER_DATES = {
    "launch_date": "launch date",
    "change_date": "change date",
    "termination_date": "termination date",
}


def _check_trigger_order(dates: dict[str, Any]) -> None:
    """A change or termination cannot precede the launch it follows. Raises `UsageError`."""
    launch = dates.get("launch_date")
    for name in ("change_date", "termination_date"):
        value = dates.get(name)
        if launch is not None and value is not None and value < launch:
            raise UsageError(
                f"{_TRIGGER_DATES[name]} {value.isoformat()} is before the launch date {launch.isoformat()}",
                hint="correct one of them, or --clear launch",
            )


class FilingService(ListingMixin, SeenMixin, StoreService):
    """Organisations, filings, their events and history: the one API of the CLI, the dashboard and importers.

    Every public method is one unit of work. Errors raised (they decide the CLI exit code and the dashboard's
    message, see `tracker.errors`): `UsageError` (bad input), `NotFound`, `TransitionRefused`, `Conflict`,
    `StorageError` (database missing, locked or unreachable).
    """

    def __init__(self, store: Store, settings: Settings | None = None, *, clock: Clock = now_utc) -> None:
        """Services on `store`; `clock` returns aware UTC (default: the system clock)."""
        super().__init__(store, settings, clock=clock)
        self._notify: NotifyService | None = None
        self._rules: RulesService | None = None
        self._person: str | None = None

    @property
    def person(self) -> str:
        """Who is working: setting `user` (`BEIAN_USER`), else the PostgreSQL role, else the operating-system
        user. Recorded on events and edits that name nobody, and whose "seen" marks `changes_since_seen` reads.

        Raises `StorageError` when PostgreSQL cannot be asked for the role.
        """
        if self._person is None:
            chosen = (self.settings.user or "").strip() or self.store.database_role()
            if not chosen:
                import getpass

                try:
                    chosen = getpass.getuser()
                except (OSError, KeyError):  # no login name and no passwd entry (some containers)
                    chosen = "unknown"
            self._person = chosen
        return self._person

    # -- collaborators, built on first use so that `beian advance` imports neither ------------------

    @property
    def notify(self) -> NotifyService:
        """Recipients, outbox and delivery (SMS), on the same store, settings and clock."""
        if self._notify is None:
            from tracker.notify.service import NotifyService

            self._notify = NotifyService(self.store, self.settings, clock=self.clock)
        return self._notify

    @property
    def rules(self) -> RulesService:
        """Materials, deadlines and forecasts, on the same store, settings and clock."""
        if self._rules is None:
            from tracker.rules.service import RulesService

            self._rules = RulesService(self.store, self.settings, clock=self.clock)
        return self._rules

    # -- organisations ---------------------------------------------------------------------------

    def add_organisation(self, name: str, credit_code: str, region: str | None = None) -> Organisation:
        """Register an organisation; its unified social credit code (GB 32100-2015) must carry a valid check character.

        The name is NFKC-normalised with invisible characters dropped (`inputs.clean`), so a look-alike of a
        registered name is refused as a duplicate; a name made of digits (an id) or shaped like a credit code
        is refused. `region` is a 6-digit administrative division code (GB/T 2260; full-width digits accepted,
        `000000` refused). Raises `UsageError` for an empty or confusable name, a bad credit code or region,
        or a name or code already registered; `StorageError`.
        """
        from tracker.filings.identity import check_credit_code, normalise_credit_code

        name = inputs.clean(name, "organisation name")
        check_text("organisation name", name, limits.ORGANISATION_NAME)
        if not name:
            raise UsageError("an organisation needs a name")
        if inputs.fold(name).isdecimal():
            raise UsageError(
                f"organisation name {inputs.echo(name)} looks like an id",
                hint="ids are given by the database; use the registered name",
            )
        if check_credit_code(name) is None:
            raise UsageError(
                f"organisation name {inputs.echo(name)} is a credit code", hint="give it with --credit-code"
            )
        problem = check_credit_code(inputs.clean(credit_code, "credit code"))
        if problem:
            raise UsageError(problem)
        code = normalise_credit_code(inputs.clean(credit_code, "credit code"))
        region_code = inputs.parse_region(region)
        with self.store.unit() as session:
            clash = repo.organisation_clash(session, name, code)
            if clash:
                raise UsageError(clash)
            organisation = repo.insert_organisation(
                session,
                name=name,
                credit_code=code,
                region=region_code,
                created_at=to_db(self.clock()),
            )
            bump_revision(session)
            return organisation

    def organisations(self) -> list[Organisation]:
        """Every organisation, by name. Raises `StorageError`."""
        with self.store.unit() as session:
            return [repo.organisation_from_row(r) for r in repo.organisations(session)]

    def organisation(self, key: str | int) -> Organisation:
        """One organisation by id, name or credit code. Raises `NotFound`, `StorageError`."""
        with self.store.unit() as session:
            return repo.organisation_from_row(repo.find_organisation(session, key))

    # -- filings ---------------------------------------------------------------------------------

    def add_filing(self, draft: FilingDraft, *, actor: str | None = None) -> Filing:
        """Create a filing in `draft`; an organisation has at most one live entity filing (主体备案).

        The launch date must lie in `inputs.DATE_WINDOW`. Raises `UsageError` (empty title, a date outside the
        window, bad upstream filing number, a second entity filing), `NotFound` (no such organisation),
        `StorageError`.
        """
        title = inputs.optional_text(draft.title, "title")
        if not title:
            raise UsageError("a filing needs a title")
        for field, value in (
            ("title", title),
            ("upstream_model", draft.upstream_model),
            ("description", draft.description),
        ):
            check_text(field.replace("_", " "), value, _TEXT_LIMITS[field])
        launch = inputs.check_day(draft.launch_date, "launch date") if draft.launch_date else None
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
        now = to_db(self.clock())
        with self.store.unit() as session:
            org = repo.find_organisation(session, draft.organisation)
            assert org.id is not None
            if kind is Kind.ENTITY:
                live = repo.live_entity_filing(session, org.id)
                if live:
                    raise UsageError(
                        f"{org.name} already has an entity filing ({live})", hint="one per organisation"
                    )
            seq = repo.next_seq(session, kind)
            values = {
                "ref": repo.make_ref(kind, seq),
                "seq": seq,
                "kind": kind.value,
                "title": title,
                "organisation_id": org.id,
                "role": role.value if role else None,
                "algorithm_type": algorithm_type.value if algorithm_type else None,
                "upstream_model": (draft.upstream_model or "").strip() or None,
                "upstream_filing_number": upstream_number,
                "stage": states.initial_stage(kind).value,
                "public_opinion": draft.public_opinion,
                "launch_date": launch,
                "description": draft.description,
                "created_at": now,
                "updated_at": now,
                "stage_entered_at": now,
            }
            filing = repo.insert_filing(session, values, org.name)
            repo_seen.record_edit(session, filing.id, actor or self.person, now, ("created",))
            bump_revision(session)
            return filing

    def update_filing(
        self, ref: str | int, *, if_version: int | None = None, actor: str | None = None, **fields: Any
    ) -> Filing:
        """Edit descriptive fields (title, role, type, upstream model, trigger dates…), never the stage.

        The edit is logged with `actor` (default `person`) and the names of the fields given. Trigger dates
        (Beijing calendar days) must lie in `inputs.DATE_WINDOW`, and a change or termination date may not
        precede the launch date.

        Raises `UsageError` (a field that is not editable, an empty title, a bad upstream number, a date outside
        the window or out of order), `NotFound`, `Conflict` (the filing is no longer at `if_version`, or changed meanwhile), `StorageError`.
        """
        unknown = set(fields) - EDITABLE_FIELDS
        if unknown:
            raise UsageError(
                f"cannot edit {', '.join(sorted(unknown))}",
                hint=f"editable: {', '.join(sorted(EDITABLE_FIELDS))}",
            )
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()}
        if "title" in values and not str(values["title"] or "").strip():
            raise UsageError("a filing needs a title")
        for name, limit in _TEXT_LIMITS.items():
            if isinstance(values.get(name), str):
                check_text(name.replace("_", " "), values[name], limit)
        if "upstream_filing_number" in values:
            values["upstream_filing_number"] = _upstream_number(values["upstream_filing_number"])
        for name in _TRIGGER_DATES:
            if values.get(name) is not None:
                inputs.check_day(values[name], _TRIGGER_DATES[name])
        with self.store.unit() as session:
            filing = repo.load_filing(session, ref)
            _events.check_version(filing, if_version)
            _check_trigger_order({name: values.get(name, filing[name]) for name in _TRIGGER_DATES})
            values["updated_at"] = to_db(self.clock())
            repo.update_filing_checked(session, filing["id"], filing["version"], values)
            repo_seen.record_edit(session, filing["id"], actor or self.person, self.clock(), sorted(fields))
            bump_revision(session)
            return repo.filing_from_mapping({**filing, **values, "version": filing["version"] + 1})

    def filing(self, ref: str | int) -> Filing:
        """One filing by reference (`ALG-0001`) or numeric id. Raises `NotFound`, `StorageError`."""
        with self.store.unit() as session:
            return repo.filing_from_mapping(repo.load_filing(session, ref))

    def history(self, ref: str | int) -> list[Transition]:
        """A filing's events, oldest first. Raises `NotFound`, `StorageError`."""
        with self.store.unit() as session:
            return repo.history(session, repo.load_filing(session, ref)["id"])

    def change_feed(self) -> ChangeFeed:
        """A feed that tells a waiting thread when the database may have changed (see `tracker.store.changes`):
        pushed by PostgreSQL, or a cheap file check every `settings.poll_seconds` on SQLite.

        Call `wait(timeout)` in a thread; it raises `StorageError` when the feed is lost. Raises `StorageError`.
        """
        return self.store.change_feed(self.settings.poll_seconds)

    def revision(self) -> int:
        """A counter that grows with every write; poll it to learn that something changed. Raises `StorageError`."""
        with self.store.unit() as session:
            return read_revision(session)

    # -- events ----------------------------------------------------------------------------------

    def events(self, ref: str | int) -> list[Outcome]:
        """Every event leaving the filing's stage: allowed ones, and refused ones with their reasons.

        Raises `NotFound`, `StorageError`.
        """
        return _events.options(self.store, self.settings, self.clock, ref)

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
        """Apply one event: stage, history row, outbox rows and revision bump commit together, or nothing does.

        `at` is the aware effective time (default now; within `inputs.DATE_WINDOW`, not in the future).
        Options that do not apply to the event are refused (`events.check_request`). Raises `UsageError`
        (unknown event, bad time, a reason, filing number or `reopen` the event does not record),
        `NotFound`, `TransitionRefused` (the machine or a guard refused, with `reasons`; or `at` precedes
        the filing's previous event), `Conflict`, `StorageError`.
        """
        request = EventRequest(ref, event, note, reason, filing_number, at, actor, source, if_version, reopen)
        return self.advance_many([request])[0]

    def advance_many(self, requests: list[EventRequest], *, atomic: bool = False) -> list[AdvanceResult]:
        """Apply events in order, each in its own transaction (or all in one with `atomic`).

        Without `atomic` the first failure is raised after the earlier events committed; callers that
        want to go on (`beian apply`) call this once per line. Raises what `advance` raises; with `atomic`
        the error carries `index`, the position of the failing request.
        """
        person = self.person
        named = [r if r.actor else replace(r, actor=person) for r in requests]
        return _events.record(self.store, self.settings, self.clock, named, atomic=atomic)
