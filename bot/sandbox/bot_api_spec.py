"""What Telegram enforces, as the loopback Bot API server applies it: method parameters (api.json),
HTML entity parsing, text length in UTF-16 code units, and flood limits.

    spec = ApiSpec.load(path)              # or ApiSpec.builtin() when api.json is not at hand
    params = spec.decode("sendMessage", {"chat_id": "43", "text": "hi"})   # {"chat_id": 43, ...}
    problems = spec.violations("sendMessage", params)                    # [] when the call is valid
    visible = visible_text("<b>AAPL</b> beat", "HTML")                   # "AAPL beat"
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_TEXT_UTF16 = 4096
MAX_CAPTION_UTF16 = 1024


class ParamError(ValueError):
    """A parameter value does not fit the types the spec gives it."""


class EntityParseError(ValueError):
    """Telegram would answer "can't parse entities: <message>"."""


# The methods the server implements, with their parameter types, for when api.json is absent.
# A leading "!" marks a required parameter; "|" separates alternative types.
_BUILTIN_FIELDS: dict[str, dict[str, str]] = {
    "getMe": {}, "logOut": {}, "close": {},
    "deleteWebhook": {"drop_pending_updates": "Boolean"},
    "setWebhook": {"url": "!String", "certificate": "InputFile", "ip_address": "String",
                   "max_connections": "Integer", "allowed_updates": "Array of String",
                   "drop_pending_updates": "Boolean", "secret_token": "String"},
    "getWebhookInfo": {},
    "getUpdates": {"offset": "Integer", "limit": "Integer", "timeout": "Integer",
                   "allowed_updates": "Array of String"},
    "sendMessage": {"chat_id": "!Integer|String", "text": "!String", "parse_mode": "String",
                    "entities": "Array of MessageEntity", "link_preview_options": "LinkPreviewOptions",
                    "disable_notification": "Boolean", "protect_content": "Boolean",
                    "allow_paid_broadcast": "Boolean", "message_thread_id": "Integer",
                    "reply_parameters": "ReplyParameters", "reply_markup": "InlineKeyboardMarkup"},
    "editMessageText": {"chat_id": "Integer|String", "message_id": "Integer",
                        "inline_message_id": "String", "text": "String", "parse_mode": "String",
                        "entities": "Array of MessageEntity",
                        "link_preview_options": "LinkPreviewOptions",
                        "reply_markup": "InlineKeyboardMarkup"},
    "setMyCommands": {"commands": "!Array of BotCommand", "scope": "BotCommandScope",
                      "language_code": "String"},
    "getMyCommands": {"scope": "BotCommandScope", "language_code": "String"},
    "answerCallbackQuery": {"callback_query_id": "!String", "text": "String",
                            "show_alert": "Boolean", "url": "String", "cache_time": "Integer"},
    "sendChatAction": {"chat_id": "!Integer|String", "action": "!String",
                       "message_thread_id": "Integer"},
    "deleteMessage": {"chat_id": "!Integer|String", "message_id": "!Integer"},
    "getChat": {"chat_id": "!Integer|String"},
    "sendPhoto": {"chat_id": "!Integer|String", "photo": "!InputFile|String", "caption": "String",
                  "parse_mode": "String", "caption_entities": "Array of MessageEntity",
                  "disable_notification": "Boolean", "protect_content": "Boolean",
                  "allow_paid_broadcast": "Boolean", "message_thread_id": "Integer",
                  "reply_parameters": "ReplyParameters", "reply_markup": "InlineKeyboardMarkup"},
    "getFile": {"file_id": "!String"},
    "getChatMember": {"chat_id": "!Integer|String", "user_id": "!Integer"},
}


@dataclass(frozen=True)
class Field:
    types: tuple[str, ...]
    required: bool


class ApiSpec:
    """Method names and parameter types of the Bot API; strict when loaded from api.json."""

    def __init__(self, methods: Mapping[str, Mapping[str, Field]], *, strict: bool) -> None:
        self.methods = dict(methods)
        self.strict = strict
        self._by_lower = {name.lower(): name for name in self.methods}

    @classmethod
    def load(cls, path: Path) -> ApiSpec:
        """Read api.json (telegram-bot-api-spec format) into a strict spec."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        methods = {
            name: {f["name"]: Field(tuple(f["types"]), bool(f["required"]))
                   for f in method.get("fields", [])}
            for name, method in raw["methods"].items()
        }
        return cls(methods, strict=True)

    @classmethod
    def builtin(cls) -> ApiSpec:
        """Return the lenient spec of the implemented methods, used when api.json is absent."""
        methods = {
            name: {field: Field(tuple(kind.lstrip("!").split("|")), kind.startswith("!"))
                   for field, kind in fields.items()}
            for name, fields in _BUILTIN_FIELDS.items()
        }
        return cls(methods, strict=False)

    def canonical(self, method: str) -> str | None:
        """Return the method's canonical spelling, or None when the spec does not know it."""
        return self._by_lower.get(method.lower())

    def decode(self, method: str, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Convert wire values (form strings or JSON) to Python values by the spec's types."""
        fields = self.methods.get(method, {})
        decoded: dict[str, Any] = {}
        for name, value in raw.items():
            field = fields.get(name)
            decoded[name] = coerce(name, value, field.types) if field else value
        return decoded

    def violations(self, method: str, params: Mapping[str, Any]) -> list[str]:
        """List unknown parameters (strict spec only) and missing required ones."""
        fields = self.methods.get(method, {})
        problems = [f"missing required parameter {name}"
                    for name, field in fields.items() if field.required and name not in params]
        if self.strict:
            problems += [f"unknown parameter {name}" for name in params if name not in fields]
        return problems


def coerce(name: str, value: Any, types: tuple[str, ...]) -> Any:
    """Return value as the first of types it fits; raise ParamError when it fits none."""
    for kind in types:
        fits, converted = _try_type(value, kind)
        if fits:
            return converted
    raise ParamError(f"parameter {name} must be {' or '.join(types)}")


def _try_type(value: Any, kind: str) -> tuple[bool, Any]:
    reader = _TYPE_READERS.get(kind)
    if reader is not None:
        return reader(value)
    # "Array of X" or an object type, sent as JSON text in forms
    return _try_json(value, list if kind.startswith("Array of") else dict)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _try_integer(value: Any) -> tuple[bool, Any]:
    if isinstance(value, int) and not isinstance(value, bool):
        return True, value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return True, int(value)
    return False, None


def _try_float(value: Any) -> tuple[bool, Any]:
    if _is_number(value):
        return True, value
    try:
        return (True, float(value)) if isinstance(value, str) else (False, None)
    except ValueError:
        return False, None


def _try_boolean(value: Any) -> tuple[bool, Any]:
    if isinstance(value, bool):
        return True, value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return True, value.lower() in ("true", "1")
    return False, None


def _try_string(value: Any) -> tuple[bool, Any]:
    if isinstance(value, str):
        return True, value
    if _is_number(value):
        return True, str(value)
    return False, None


def _try_json(value: Any, wanted: type) -> tuple[bool, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return False, None
    if isinstance(value, wanted):
        return True, value
    return False, None


_TYPE_READERS: dict[str, Callable[[Any], tuple[bool, Any]]] = {
    "Integer": _try_integer,
    "Float": _try_float, "Float number": _try_float,
    "Boolean": _try_boolean, "True": _try_boolean,
    "String": _try_string,
    "InputFile": lambda value: (True, value),
}


def image_size(content: bytes) -> tuple[int, int] | None:
    """Return (width, height) of a PNG or JPEG image, or None when content is neither."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR" and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if not content.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 9 < len(content):  # walk the JPEG segments to the frame header (SOF0-SOF15)
        if content[i] != 0xFF:
            return None
        marker, length = content[i + 1], int.from_bytes(content[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(content[i + 7:i + 9], "big"), int.from_bytes(content[i + 5:i + 7], "big")
        i += 2 + length
    return None


# ---------------------------------------------------------------------------------------------
# Formatting: the visible text after entity parsing, and its length.

_HTML_TAGS = frozenset({"a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code",
                        "pre", "blockquote", "tg-spoiler", "span", "tg-emoji", "tg-time"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\f\v"
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.-]*")
_MARKDOWN_ESCAPE = re.compile(r"\\([\\_*\[\]()~`>#+\-=|{}.!])")
PARSE_MODES = ("html", "markdownv2", "markdown")


def utf16_len(text: str) -> int:
    """Count UTF-16 code units, the unit of Telegram's text limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(text: str, parse_mode: str | None) -> str:
    """Return the text a user sees; raise EntityParseError for markup Telegram refuses."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode in ("markdownv2", "markdown"):
        # Approximate: escapes removed, markers kept; the bot itself formats with HTML.
        return _MARKDOWN_ESCAPE.sub(r"\1", text)
    return text


def parse_html(text: str) -> str:
    """Strip Telegram-HTML tags and decode entities; raise EntityParseError like Telegram does."""
    out: list[str] = []
    stack: list[str] = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char == "&":
            decoded, i = _decode_entity(text, i)
            out.append(decoded)
            continue
        if char != "<":
            out.append(char)
            i += 1
            continue
        begin = i
        if i + 1 < size and text[i + 1] == "/":
            i = _end_tag(text, begin, stack)
        else:
            i = _start_tag(text, begin, stack)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    result = "".join(out)
    if any(0xD800 <= ord(c) <= 0xDFFF for c in result):
        raise EntityParseError("Text contains invalid Unicode characters after decoding HTML "
                               "entities, check for unmatched surrogate code units")
    return result


def _offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACES:
        i += 1
    return i


def _start_tag(text: str, begin: int, stack: list[str]) -> int:
    where = f"at byte offset {_offset(text, begin)}"
    tag, i = _start_tag_name(text, begin, where)
    attributes: dict[str, str] = {}
    while True:
        i = _skip_spaces(text, i)
        if i >= len(text):
            raise EntityParseError(f'Unclosed start tag "{tag}" {where}')
        if text[i] == ">":
            break
        i = _attribute(text, i, tag, where, attributes)
    _check_attributes(tag, attributes, where)
    stack.append(tag)
    return i + 1


def _start_tag_name(text: str, begin: int, where: str) -> tuple[str, int]:
    """Return the supported tag name of the start tag at begin and the index just after it."""
    size, i = len(text), begin + 1
    while i < size and text[i] not in _SPACES and text[i] != ">":
        i += 1
    if i >= size:
        raise EntityParseError(f"Unclosed start tag {where}")
    tag = text[begin + 1:i].lower()
    if tag not in _HTML_TAGS:
        raise EntityParseError(f'Unsupported start tag "{tag}" {where}')
    return tag, i


def _attribute(text: str, i: int, tag: str, where: str, attributes: dict[str, str]) -> int:
    """Read the attribute at i into attributes; return the index just after it."""
    size, name_begin = len(text), i
    while i < size and text[i] not in _SPACES and text[i] not in "=>":
        i += 1
    name = text[name_begin:i].lower()
    if not name:
        raise EntityParseError(f'Empty attribute name in the tag "{tag}" {where}')
    i = _skip_spaces(text, i)
    if i >= size or text[i] != "=":
        if tag == "blockquote" and name == "expandable" and i < size:
            return i  # the one attribute Telegram takes without a value
        raise EntityParseError(
            f'Expected equal sign in declaration of an attribute of the tag "{tag}" {where}')
    i = _skip_spaces(text, i + 1)
    if i >= size:
        raise EntityParseError(f'Unclosed start tag "{tag}" {where}')
    attributes[name], i = _attribute_value(text, i, where)
    return i


def _attribute_value(text: str, i: int, where: str) -> tuple[str, int]:
    """Return the quoted or bare attribute value at i and the index just after it."""
    if text[i] in "\"'":
        close = text.find(text[i], i + 1)
        if close < 0:
            raise EntityParseError(f"Unclosed start tag {where}")
        return text[i + 1:close], close + 1
    token_end = _NAME_TOKEN.match(text, i).end()  # type: ignore[union-attr]
    if token_end < len(text) and text[token_end] not in _SPACES and text[token_end] != ">":
        raise EntityParseError(f"Unexpected end of name token at byte offset {_offset(text, i)}")
    return text[i:token_end], token_end


def _check_attributes(tag: str, attributes: Mapping[str, str], where: str) -> None:
    if tag == "span" and attributes.get("class") != "tg-spoiler":
        raise EntityParseError(f'Tag "span" must have class "tg-spoiler" {where}')
    if tag == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
        raise EntityParseError("Invalid custom emoji identifier specified")


def _end_tag(text: str, begin: int, stack: list[str]) -> int:
    where = f"at byte offset {_offset(text, begin)}"
    if not stack:
        raise EntityParseError(f"Unexpected end tag {where}")
    size, i = len(text), begin + 2
    while i < size and text[i] not in _SPACES and text[i] != ">":
        i += 1
    name = text[begin + 2:i].lower()
    i = _skip_spaces(text, i)
    if i >= size or text[i] != ">":
        raise EntityParseError(f"Unclosed end tag {where}")
    if name and name != stack[-1]:
        raise EntityParseError(
            f'Unmatched end tag {where}, expected "</{stack[-1]}>", found "</{name}>"')
    stack.pop()
    return i + 1


def _decode_entity(text: str, i: int) -> tuple[str, int]:
    """Decode the entity at text[i] == "&"; unknown ones stay literal, as Telegram leaves them."""
    if text.startswith("&#", i):
        hexadecimal = text[i + 2:i + 3] in ("x", "X")
        start = i + 3 if hexadecimal else i + 2
        match = re.compile(r"[0-9a-fA-F]+" if hexadecimal else r"[0-9]+").match(text, start)
        if match:
            code = int(match.group(), 16 if hexadecimal else 10)
            if 0 < code <= 0x10FFFF:
                end = match.end()
                return chr(code), end + 1 if text.startswith(";", end) else end
        return "&", i + 1
    match = re.compile(r"[A-Za-z]+").match(text, i + 1)
    if match and match.group() in _NAMED_ENTITIES:
        end = match.end()
        return _NAMED_ENTITIES[match.group()], end + 1 if text.startswith(";", end) else end
    return "&", i + 1


# ---------------------------------------------------------------------------------------------
# Flood limits: sliding windows, as Telegram counts sends.

@dataclass
class FloodLimits:
    """Telegram's send limits; None or 0 switches a limit off.

        FloodLimits()                       # Telegram's published numbers
        FloodLimits(per_second=5)           # a small ceiling for a quick test
        FloodLimits.off()                   # no flood control at all
    """

    per_second: float | None = 30               # all sends of the bot
    per_chat_per_second: float | None = 1       # one chat, on average
    per_chat_burst: int = 3                     # sends one chat may get at once
    per_group_per_minute: float | None = 20     # negative chat ids
    paid_per_second: float | None = 1000        # sends with allow_paid_broadcast=true
    retry_after: int = 1                        # least retry_after told; longer if the window needs it

    @classmethod
    def off(cls) -> FloodLimits:
        """Return limits that never refuse a send."""
        return cls(per_second=None, per_chat_per_second=None, per_group_per_minute=None,
                   paid_per_second=None)


class _Window:
    """At most `limit` events in any `seconds`-long span."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[len(self.times) - self.limit] + self.seconds - now


class FloodGate:
    """Admit or refuse sends by the flood limits; refused sends do not count."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._global = _window(limits.per_second, 1.0)
        self._paid = _window(limits.paid_per_second, 1.0)
        self._chats: dict[int | str, list[_Window]] = {}

    def admit(self, chat_id: int | str, *, paid: bool = False) -> int | None:
        """Record the send and return None, or return the seconds to wait (nothing recorded)."""
        now = self.clock()
        windows = [w for w in (self._paid if paid else self._global, *self._chat_windows(chat_id))
                   if w is not None]
        wait = max((w.wait(now) for w in windows), default=0.0)
        if wait > 0:
            return max(self.limits.retry_after, int(wait + 0.999))
        for window in windows:
            window.times.append(now)
        return None

    def _chat_windows(self, chat_id: int | str) -> list[_Window]:
        if chat_id not in self._chats:
            limits = self.limits
            rate, burst = limits.per_chat_per_second, max(1, limits.per_chat_burst)
            windows = [_window(burst, burst / rate) if rate else None]
            if isinstance(chat_id, str) or chat_id < 0:
                windows.append(_window(limits.per_group_per_minute, 60.0))
            self._chats[chat_id] = [w for w in windows if w is not None]
        return self._chats[chat_id]


def _window(limit: float | None, seconds: float) -> _Window | None:
    if not limit:
        return None
    if limit < 1:  # e.g. 0.5 per second: one send per two seconds
        return _Window(1, seconds / limit)
    return _Window(int(limit), seconds)
