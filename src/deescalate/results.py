"""How a chosen line becomes its result: values formatted, the text rendered, the result built.

Everything that does not depend on a call's values is worked out once per
candidate (a :class:`Candidate`): its finished :class:`~deescalate.Phrase` when
it has no placeholders, and its own render function. :func:`finish` makes the
result for a call's values. There is one render path (:func:`render_variant`,
plural forms included); :func:`renderer` only skips work that cannot change its text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from babel import Locale

from ._records import Record
from .catalogue import EntryDef, LocaleData, Variant
from .errors import MissingValueError
from .i18n import get_locale
from .models import Channel, Fallback, Gloss, Phrase, Register
from .render import (
    MAX_RENDERED_LENGTH,
    MAX_VALUE_LENGTH,
    Formatter,
    _number,
    choose_plural,
    has_surrogate,
)

__all__ = [
    "CURRENCY",
    "Candidate",
    "Plan",
    "Values",
    "finish",
    "format_values",
    "make_candidate",
    "plan_for",
    "render_variant",
    "renderer",
    "value_locale",
]

_ABSENT = object()

CURRENCY = "currency"
"""The value name that gives the currency of a plain-number money value."""

Values = Mapping[str, object]

Plan = tuple[tuple[str, bool, Formatter], ...]
"""Each placeholder's name, whether it is text, and its formatter (see Formats.plan)."""


def value_locale(data: LocaleData) -> Locale:
    """The Babel locale that formats values for ``data`` (its ``[formats] cldr``, or itself)."""
    return get_locale(data.formats.locale(data.id))


def plan_for(data: LocaleData, entry: EntryDef, channel: Channel | None) -> Plan:
    """``entry``'s formatters with ``data``'s formatting choices for ``channel`` bound."""
    return data.formats.plan(entry.placeholders, channel, entry.formatters, value_locale(data))


def format_values(
    entry: EntryDef, values: Values, babel: Locale, plan: Plan | None = None
) -> dict[str, str]:
    """The given values of ``entry``'s placeholders, formatted for ``babel``.

    Values the entry does not declare are ignored here (the candidates were
    matched to the value names when they were selected); a plain-number money
    value takes its currency from the ``currency`` value. ``plan`` carries a
    locale's formatting choices (by default, the entry's plain formatters).
    """
    formatted: dict[str, str] = {}
    currency: Any = values.get(CURRENCY)
    if currency.__class__ is not str:
        currency = None
    for name, is_text, format_one in entry.formatters if plan is None else plan:
        value = values.get(name, _ABSENT)
        if value is _ABSENT:
            continue
        if (
            is_text
            and value.__class__ is str
            and len(value) <= MAX_VALUE_LENGTH
            and (value.isascii() or not has_surrogate(value))
        ):
            formatted[name] = value  # text needs no formatting, only the checks
        else:
            formatted[name] = format_one(value, babel, currency)
    return formatted


def render_variant(
    entry: EntryDef, variant: Variant, babel: Locale, values: Values, *, plan: Plan | None = None
) -> str:
    """The text of ``variant`` with ``values``: the one render path (plural forms included)."""
    formatted = format_values(entry, values, babel, plan)
    if variant.template is not None:
        return variant.template.render(formatted)
    count = values.get(entry.plural or "")
    if count is None:
        template = (variant.forms or {})["other"]
    else:
        template = choose_plural(
            variant.forms or {}, babel, _number(entry.plural or "", count, "a number")
        )
    return template.render(formatted)


def renderer(
    entry: EntryDef,
    variant: Variant,
    babel: Locale,
    fill: Mapping[str, object],
    plan: Plan | None = None,
) -> Callable[[Values], str]:
    """The function that renders one candidate with a call's values.

    A template with one placeholder (the common case) gets a function that
    formats the value and joins three strings; anything else (several
    placeholders, plural forms, defaults from an overlay) goes through :func:`_render`.
    Both give the same text: the short cut skips only work that cannot change it.
    """
    template = variant.template
    if template is None or fill or len(template.keys) != 1:

        def render_any(values: Values) -> str:
            return render_variant(
                entry, variant, babel, {**fill, **values} if fill else values, plan=plan
            )

        return render_any

    (name,) = template.keys
    is_text, format_one = next(
        (t, f) for n, t, f in (entry.formatters if plan is None else plan) if n == name
    )
    before, after = template.literals
    longest = MAX_VALUE_LENGTH
    # A text value within its limit always fits the rendered limit here, so the
    # text path skips that check; a template too long for that takes the other path.
    is_text = is_text and len(before) + len(after) + longest <= MAX_RENDERED_LENGTH

    def render_one(values: Values) -> str:
        value: object = values.get(name, _ABSENT)
        if value is _ABSENT:
            raise MissingValueError(entry.id, (name,))
        currency: Any = values.get(CURRENCY)
        return template.join_one(
            format_one(value, babel, currency if currency.__class__ is str else None)
        )

    if not is_text:
        return render_one

    def render_text(values: Values) -> str:
        # The hot path: a plain str within its limit goes in as it is.
        try:
            value = values[name]
        except KeyError:
            return render_one(values)
        if value.__class__ is str and len(value) <= longest and value.isascii():
            return f"{before}{value}{after}"
        return render_one(values)  # the full checks (lone surrogates) for other text

    return render_text


class Candidate(Record):
    """One variant the picker may choose, with everything known before values arrive."""

    _fields = (
        "entry",
        "variant",
        "data",
        "babel",
        "register",
        "prototype",
        "text",
        "fill",
        "ready",
        "render",
        "gloss_locale",
    )
    __slots__ = _fields

    entry: EntryDef
    variant: Variant
    data: LocaleData
    babel: Locale
    register: Register
    prototype: Phrase
    """The result, complete for a variant without placeholders."""
    text: str
    """The prototype's text (what text() returns when ``ready``)."""
    fill: Mapping[str, object]
    """Default values (from overlays) for placeholders the call gives no value for."""
    ready: bool
    """Whether the prototype is the finished result when the call gives no values."""
    render: Callable[[Values], str]
    """The text for a call's values (see :func:`renderer`)."""
    gloss_locale: str | None
    """The catalogue locale of the gloss the call asked for, if any."""

    def __init__(
        self,
        entry: EntryDef,
        variant: Variant,
        data: LocaleData,
        babel: Locale,
        register: Register,
        prototype: Phrase,
        text: str,
        fill: Mapping[str, object],
        ready: bool,
        render: Callable[[Values], str],
        gloss_locale: str | None,
    ) -> None:
        _set = object.__setattr__
        _set(self, "entry", entry)
        _set(self, "variant", variant)
        _set(self, "data", data)
        _set(self, "babel", babel)
        _set(self, "register", register)
        _set(self, "prototype", prototype)
        _set(self, "text", text)
        _set(self, "fill", fill)
        _set(self, "ready", ready)
        _set(self, "render", render)
        _set(self, "gloss_locale", gloss_locale)


def make_candidate(
    overlay_values: Mapping[str, object],
    entry: EntryDef,
    variant: Variant,
    data: LocaleData,
    register: Register,
    fallbacks: Iterable[Fallback],
    warnings: tuple[str, ...],
    situation: str,
    given: frozenset[str] = frozenset(),
    gloss_locale: str | None = None,
    channel: Channel | None = None,
) -> Candidate:
    """The candidate for ``variant`` of ``entry`` in ``data``, prepared before any values arrive.

    ``overlay_values`` are the overlays' default values (``[values]``), used for
    placeholders the call (``given``) gives no value for.
    """
    fill = {
        name: value
        for name, value in overlay_values.items()
        if name in entry.placeholders and name not in given
    }
    # The locale's formatting choices for this channel, bound once for every pick.
    babel = value_locale(data)
    plan = plan_for(data, entry, channel)
    text = ""
    ready = False
    if variant.template is not None and variant.template.is_static:
        text = variant.template.render({})
        ready = True
    elif variant.template is not None and fill and variant.names <= fill.keys():
        # Overlay defaults complete it: render once here, not on every pick.
        text = render_variant(entry, variant, babel, fill, plan=plan)
        ready = True
    prototype = Phrase.model_construct(
        text=text,
        id=entry.id,
        variant=variant.index,
        stage=entry.stage,
        situation=situation,
        locale=data.id,
        register_=register,
        channels=tuple(c for c in Channel if c in entry.channels),
        flags=entry.flags,
        fallback=tuple(fallbacks),
        warnings=warnings,
        gloss=None,
    )
    return Candidate(
        entry,
        variant,
        data,
        babel,
        register,
        prototype,
        text,
        fill,
        ready,
        renderer(entry, variant, babel, fill, plan),
        gloss_locale,
    )


def finish(
    chosen: Candidate, values: Values, gloss: Callable[[Candidate, Values, str], Gloss]
) -> Phrase:
    """The result of ``chosen`` for a call's ``values``, with its gloss made by ``gloss``."""
    if chosen.ready:
        format_values(chosen.entry, values, chosen.babel)  # checks the values
        text = chosen.prototype.text
    else:
        text = chosen.render(values)
    update: dict[str, object] = {"text": text}
    if chosen.gloss_locale is not None:
        update["gloss"] = gloss(chosen, {**chosen.fill, **values}, chosen.gloss_locale)
    return chosen.prototype.model_copy(update=update)
