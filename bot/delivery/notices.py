"""Results-filing notices ("has just filed: figures follow as soon as they are read") and the result
they announce: a notice never comes after its figures. It is folded into the result's message, or
dropped when the result went out before."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, or_, select

from bot.domain.market_time import as_utc
from bot.store.tables import Alert, AlertKind, Company, Delivery, DeliveryStatus, Filing

_delivery = Delivery.__table__
_alert = Alert.__table__
_company = Company.__table__
_filing = Filing.__table__

# A result written up to a week before a results filing speaks of the same report (a calendar's
# actuals come first); an older one is the previous quarter's.
SAME_REPORT = timedelta(days=7)
_TOLD = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)


def results_told(connection: Connection, rows: Sequence[Any]) -> set[tuple[int, int]]:
    """Return (chat_pk, filing_id) of the results notices among rows whose chat has been told, or is
    being told, the result they announce: a result of the same issuer (any share class), written no
    earlier than a week before the filing, waiting, on the wire or sent to that chat.

    Such a notice ("Figures follow as soon as they are read") must never come after the figures:
    it is folded into the result's message or dropped.
    """
    notices = [r for r in rows if r.kind == AlertKind.FILING and r.filing_id is not None]
    if not notices:
        return set()
    told_alert = _alert.alias("told")
    told_company = _company.alias("told_company")
    found = connection.execute(
        select(_delivery.c.chat_pk, _filing.c.id, _filing.c.accepted_at, told_alert.c.created_at)
        .select_from(
            _delivery.join(told_alert, told_alert.c.id == _delivery.c.alert_id)
            .outerjoin(told_company, told_company.c.id == told_alert.c.company_id)
            .join(_filing, or_(told_alert.c.filing_id == _filing.c.id, _filing.c.cik == told_company.c.cik,
                               _filing.c.company_id == told_company.c.id))
        )
        .where(
            _filing.c.id.in_({r.filing_id for r in notices}),
            _delivery.c.chat_pk.in_({r.chat_pk for r in notices}),
            told_alert.c.kind.in_((AlertKind.RESULT, AlertKind.CORRECTION)),
            _delivery.c.status.in_(_TOLD),
        )
    ).all()
    return {
        (chat_pk, filing_id) for chat_pk, filing_id, accepted_at, created_at in found
        if as_utc(created_at) >= as_utc(accepted_at) - SAME_REPORT
    }


def notices_after_their_result(rows: Sequence[Any], told: set[tuple[int, int]], *, skip: set[int]) -> set[int]:
    """Return the notices whose result was told to their chat and goes out in no message with them."""
    results_now = {r.chat_pk for r in rows if r.id not in skip and r.kind in (AlertKind.RESULT, AlertKind.CORRECTION)
                   and r.replaces_alert_id is None}
    return {r.id for r in rows if (r.chat_pk, r.filing_id) in told and r.chat_pk not in results_now}


def folded_into_result(row: Any, told: set[tuple[int, int]]) -> bool:
    """Whether the row is a filing notice whose result its chat is told: it goes out folded into that
    message, its own text left out."""
    return bool(row.kind == AlertKind.FILING and (row.chat_pk, row.filing_id) in told)
