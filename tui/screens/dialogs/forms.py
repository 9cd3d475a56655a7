"""Forms: add an organisation, add a filing, edit a filing's descriptive fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Checkbox, Input, Select

import states
from states import AlgorithmType, Kind, Role
from tracker.domain import Filing, FilingDraft, Organisation
from tracker.errors import UsageError
from tracker.timeutil import parse_day
from tui.messages import FilingSaved, LoadFailed, OrganisationAdded, OrganisationsLoaded
from tui.screens.dialogs.form_base import FormScreen, choice_of, text_of
from tui.screens.host import ServiceCall
from tui.view.labels import kind_label, pick


def _day(value: str | None) -> date | None:
    return parse_day(value) if value else None


class NewOrganisationScreen(FormScreen[Organisation | None]):
    """Register an organisation (主体) by name and unified social credit code."""

    TITLE_ZH, TITLE_EN = "新增单位", "New organisation"

    def fields(self) -> ComposeResult:
        """Name, credit code, region."""
        yield self.row("名称", "Name", Input(id="org-name"))
        yield self.row(
            "统一社会信用代码",
            "Credit code",
            Input(id="org-code", placeholder="18 characters, e.g. 91110108MA01A2B3CF"),
        )
        yield self.row(
            "行政区划代码",
            "Region code",
            Input(
                id="org-region", placeholder=pick(self.lang, "可选，6 位", "optional, 6 digits, e.g. 110108")
            ),
        )

    def collect(self) -> ServiceCall:
        """The organisation to add."""
        name, code, region = (
            text_of(self, "#org-name"),
            text_of(self, "#org-code"),
            text_of(self, "#org-region"),
        )
        return lambda service: OrganisationAdded(service.add_organisation(name or "", code or "", region))


def _options(members: list[Any], lang: Any) -> list[tuple[str, Any]]:
    return [(states.label(m, lang), m) for m in members]


class NewFilingScreen(FormScreen[Filing | None]):
    """Add a filing in draft (草稿)."""

    TITLE_ZH, TITLE_EN = "新增备案", "New filing"

    def __init__(self, organisation: str | None = None) -> None:
        super().__init__()
        self.default_organisation = organisation

    def fields(self) -> ComposeResult:
        """Organisation, title, kind, role, type, upstream model, launch date, description."""
        lang = self.lang
        yield self.row(
            "单位",
            "Organisation",
            Select[str]([], id="filing-org", prompt=pick(lang, "选择单位", "Choose an organisation")),
        )
        yield self.row("名称", "Title", Input(id="filing-title"))
        yield self.row(
            "类型",
            "Kind",
            Select(
                [(kind_label(k, lang), k) for k in Kind],
                id="filing-kind",
                value=Kind.ALGORITHM,
                allow_blank=False,
            ),
        )
        yield self.row(
            "角色",
            "Role",
            Select(
                _options(list(Role), lang),
                id="filing-role",
                prompt=pick(lang, "默认：服务提供者", "default: provider"),
            ),
        )
        yield self.row(
            "算法类型",
            "Algorithm type",
            Select(
                _options(list(AlgorithmType), lang),
                id="filing-type",
                prompt=pick(lang, "默认：生成合成类", "default: generative"),
            ),
        )
        yield self.row(
            "上游模型",
            "Upstream model",
            Input(id="filing-upstream", placeholder=pick(lang, "可选", "optional")),
        )
        yield self.row(
            "上游备案号",
            "Upstream filing number",
            Input(id="filing-upstream-number", placeholder="网信算备…号"),
        )
        yield self.row("上线日期", "Launch date", Input(id="filing-launch", placeholder="YYYY-MM-DD"))
        yield Checkbox(
            pick(lang, "具有舆论属性或社会动员能力", "Has public-opinion attributes"),
            value=True,
            id="filing-opinion",
        )
        yield self.row("说明", "Description", Input(id="filing-description"))

    def on_mount(self) -> None:
        """Offer the organisations."""
        super().on_mount()
        self._load_organisations()

    def _load_organisations(self) -> None:
        """Every organisation, by name."""
        self.call_service(
            lambda service: OrganisationsLoaded(tuple(service.organisations())), group="organisations"
        )

    @on(OrganisationsLoaded)
    def _organisations(self, message: OrganisationsLoaded) -> None:
        select = self.query_one("#filing-org", Select)
        select.set_options((o.name, o.name) for o in message.organisations)
        if not message.organisations:
            self.show_error(
                pick(
                    self.lang, "请先新增单位（按 o）", "Add an organisation first (press o on the dashboard)."
                )
            )
        elif self.default_organisation in {o.name for o in message.organisations}:
            select.value = self.default_organisation
        self.query_one("#filing-title", Input).focus()
        self.mark_pristine()

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.show_error(message.error)

    def collect(self) -> ServiceCall:
        """The draft to add."""
        draft = FilingDraft(
            organisation=choice_of(self, "#filing-org") or "",
            title=text_of(self, "#filing-title") or "",
            kind=choice_of(self, "#filing-kind") or Kind.ALGORITHM,
            role=choice_of(self, "#filing-role"),
            algorithm_type=choice_of(self, "#filing-type"),
            upstream_model=text_of(self, "#filing-upstream"),
            upstream_filing_number=text_of(self, "#filing-upstream-number"),
            public_opinion=self.query_one("#filing-opinion", Checkbox).value,
            launch_date=_day(text_of(self, "#filing-launch")),
            description=text_of(self, "#filing-description"),
        )
        if not draft.organisation:
            raise UsageError(pick(self.lang, "请选择单位", "Choose an organisation."))
        return lambda service: FilingSaved(service.add_filing(draft), created=True)


class EditFilingScreen(FormScreen[Filing | None]):
    """Edit the descriptive fields of a filing; its stage changes only through events."""

    TITLE_ZH, TITLE_EN = "编辑备案", "Edit filing"

    def __init__(self, filing: Filing) -> None:
        super().__init__()
        self.filing = filing

    def fields(self) -> ComposeResult:
        """Every editable field, filled in."""
        f, lang = self.filing, self.lang
        yield self.row("名称", "Title", Input(f.title, id="edit-title"))
        yield self.row(
            "角色", "Role", Select(_options(list(Role), lang), id="edit-role", value=f.role or Select.NULL)
        )
        yield self.row(
            "算法类型",
            "Algorithm type",
            Select(
                _options(list(AlgorithmType), lang), id="edit-type", value=f.algorithm_type or Select.NULL
            ),
        )
        yield self.row("上游模型", "Upstream model", Input(f.upstream_model or "", id="edit-upstream"))
        yield self.row(
            "上游备案号",
            "Upstream filing number",
            Input(f.upstream_filing_number or "", id="edit-upstream-number"),
        )
        for key, zh, en in (
            ("launch", "上线日期", "Launch date"),
            ("change", "变更日期", "Change date"),
            ("termination", "终止日期", "Termination date"),
        ):
            value: date | None = getattr(f, f"{key}_date")
            yield self.row(
                zh, en, Input(value.isoformat() if value else "", id=f"edit-{key}", placeholder="YYYY-MM-DD")
            )
        yield Checkbox(
            pick(lang, "具有舆论属性或社会动员能力", "Has public-opinion attributes"),
            value=f.public_opinion,
            id="edit-opinion",
        )
        yield self.row("说明", "Description", Input(f.description or "", id="edit-description"))

    def collect(self) -> ServiceCall:
        """Only the fields that changed, checked against the version the form was opened on."""
        f = self.filing
        wanted: dict[str, Any] = {
            "title": text_of(self, "#edit-title") or "",
            "role": choice_of(self, "#edit-role"),
            "algorithm_type": choice_of(self, "#edit-type"),
            "upstream_model": text_of(self, "#edit-upstream"),
            "upstream_filing_number": text_of(self, "#edit-upstream-number"),
            "launch_date": _day(text_of(self, "#edit-launch")),
            "change_date": _day(text_of(self, "#edit-change")),
            "termination_date": _day(text_of(self, "#edit-termination")),
            "public_opinion": self.query_one("#edit-opinion", Checkbox).value,
            "description": text_of(self, "#edit-description"),
        }
        changed = {k: v for k, v in wanted.items() if v != getattr(f, k)}
        if not changed:
            return lambda _service: FilingSaved(f, created=False)
        return lambda service: FilingSaved(
            service.update_filing(f.id, if_version=f.version, **changed), created=False
        )
