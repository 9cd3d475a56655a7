"""A small portfolio written through the service, for the CLI tests of careless and hostile input."""

from __future__ import annotations

ORG = "北京星河智算科技有限公司"
CODE = "91110108MA01A2B3CF"


def seed(url: str) -> None:
    """An organisation with an approved entity filing, and ALG-0001 in draft (`ＡＩ写作 Écrivain`) with its materials."""
    from states import Kind
    from tracker.domain import FilingDraft
    from tracker.factory import open_store
    from tracker.filings.service import FilingService

    store = open_store(url)
    try:
        service = FilingService(store)
        service.add_organisation(ORG, CODE, "110108")
        entity = service.add_filing(FilingDraft(organisation=ORG, title="主体备案", kind=Kind.ENTITY))
        service.rules.mark_all_provided(entity.ref)
        service.advance(entity.ref, "submit")
        service.advance(entity.ref, "approve")
        draft = service.add_filing(FilingDraft(organisation=ORG, title="ＡＩ写作 Écrivain"))
        service.rules.mark_all_provided(draft.ref)
    finally:
        store.dispose()
