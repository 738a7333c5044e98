"""The chats as the loopback Bot API server keeps them, and what a test does in them.

LoopbackChats holds the bot's messages (SentMessage), the updates users queue (user_sends,
user_clicks, ...), the faults a caller scripts (block, kick, migrate, fail_next, hang_next) and
the counts a benchmark reads. LoopbackBotApi (bot_api.py) serves it over HTTP.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.bot_api_spec import utf16_len

GROUP_USER_ID = 7_000_001  # who speaks in a group when the caller does not say: its creator
# Telegram's sender of a message an anonymous group administrator posts "as the group"
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
_BOT_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")


@dataclass
class RecordedCall:
    """One request the server answered."""

    method: str                      # canonical spelling, e.g. "sendMessage"
    params: dict[str, Any]           # decoded: chat_id is an int, reply_markup a dict
    status: int
    time: float                      # clock() when the request arrived
    chat_id: int | str | None
    description: str | None = None   # Telegram's error text when status != 200


@dataclass
class SentMessage:
    """A message the bot sent, as the chat sees it now."""

    chat_id: int
    message_id: int
    text: str                        # as the bot sent it, markup included
    parse_mode: str | None
    visible_text: str                # what the user reads: tags stripped, entities decoded
    reply_markup: dict[str, Any] | None
    sent_at: float                   # clock() when it was delivered
    edited: bool = False
    history: list[str] = field(default_factory=list)  # earlier texts, oldest first
    deleted: bool = False
    silent: bool = False             # sent with disable_notification: it arrived without a sound
    photo: bytes | None = None       # a sendPhoto's image as uploaded; text is then its caption
    photo_size: tuple[int, int] = (0, 0)  # the image's width and height in pixels


@dataclass(frozen=True)
class StoredFile:
    """A file the server holds: a document a user sent, or a photo the bot uploaded."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None
    mime_type: str | None

    @property
    def file_path(self) -> str:
        """The path getFile answers, relative to /file/bot<token>/."""
        return f"files/{self.file_unique_id}/{self.file_name or 'file'}"


class ApiRefusal(Exception):
    """A Telegram error answer: {"ok": false, "error_code", "description", "parameters"}."""

    def __init__(self, status: int, description: str,
                 parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status,
                                "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class _Hang:
    seconds: float
    deliver: bool


class LoopbackChats:
    """The server's record of its chats; LoopbackBotApi adds the HTTP side."""

    def __init__(self, token: str, *, bot_username: str) -> None:
        self.token = token
        self.bot_username = bot_username
        self._messages: dict[int, list[SentMessage]] = defaultdict(list)
        self._last_message_id: dict[int, int] = defaultdict(int)
        self._chats: dict[int, dict[str, Any]] = {}
        self._chat_faults: dict[int, tuple[str, int, str, dict[str, Any] | None]] = {}
        self._method_faults: dict[str, deque[ApiRefusal]] = defaultdict(deque)
        self._hangs: dict[str, deque[_Hang]] = defaultdict(deque)
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._pending_queries: set[str] = set()
        self._file_ids = itertools.count(1)
        self.files: dict[str, StoredFile] = {}
        self._changed = asyncio.Event()
        self._members: dict[tuple[int, int], str] = {}  # (group, user) -> status; else "member"
        self._chat_floods: dict[int, deque[int]] = defaultdict(deque)  # retry_after of the next 429s

    # -- the user's side ------------------------------------------------------------------------

    def user_sends(self, chat_id: int, text: str, *, user_id: int | None = None,
                   chat_type: str | None = None, first_name: str = "Demo",
                   title: str | None = None, anonymous_admin: bool = False) -> int:
        """Queue a message from a user (bot commands marked as entities); return its update_id.
        chat_type defaults to the chat's known type, else private for positive ids and group or
        supergroup (-100...) for negative ones; anonymous_admin posts it as the group itself."""
        chat = self._remember_chat(chat_id, chat_type or self._chat_json(chat_id)["type"],
                                   first_name=first_name, title=title)
        fault = self._chat_faults.get(chat_id)
        if fault and fault[0] == "blocked":  # writing to the bot again means unblocking it
            del self._chat_faults[chat_id]
        sender = (dict(ANONYMOUS_ADMIN) if anonymous_admin
                  else self._user(chat_id, chat["type"], user_id, first_name))
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id), "date": int(time.time()),
            "chat": chat, "from": sender, "text": text,
        }
        if anonymous_admin:
            message["sender_chat"] = chat
        commands = [{"type": "bot_command", "offset": utf16_len(text[:m.start()]),
                     "length": utf16_len(m.group())} for m in _BOT_COMMAND.finditer(text)]
        if commands:
            message["entities"] = commands
        return self._enqueue("message", message)

    def user_edits(self, chat_id: int, message_id: int, text: str, *, user_id: int | None = None) -> int:
        """Queue an edit of a message the user sent earlier (an edited_message update)."""
        chat = self._chat_json(chat_id)
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()) - 5, "edit_date": int(time.time()),
            "chat": chat, "from": self._user(chat_id, chat["type"], user_id, "Demo"), "text": text,
        }
        commands = [{"type": "bot_command", "offset": utf16_len(text[:m.start()]),
                     "length": utf16_len(m.group())} for m in _BOT_COMMAND.finditer(text)]
        if commands:
            message["entities"] = commands
        return self._enqueue("edited_message", message)

    def channel_posts(self, chat_id: int, text: str, *, title: str | None = None) -> int:
        """Queue a post in a channel the bot is in (a channel_post update, no sender)."""
        chat = self._remember_chat(chat_id, "channel", title=title)
        post: dict[str, Any] = {"message_id": self._next_message_id(chat_id), "date": int(time.time()),
                                "chat": chat, "text": text}
        commands = [{"type": "bot_command", "offset": utf16_len(text[:m.start()]),
                     "length": utf16_len(m.group())} for m in _BOT_COMMAND.finditer(text)]
        if commands:
            post["entities"] = commands
        return self._enqueue("channel_post", post)

    def user_sends_sticker(self, chat_id: int, emoji: str = "👍") -> int:
        """Queue a sticker from a user in a private chat (a message without text)."""
        chat = self._remember_chat(chat_id, "private")
        return self._enqueue("message", {
            "message_id": self._next_message_id(chat_id), "date": int(time.time()), "chat": chat,
            "from": self._user(chat_id, "private", None, "Demo"),
            "sticker": {"file_id": "sticker-1", "file_unique_id": "s1", "type": "regular", "width": 512,
                        "height": 512, "is_animated": False, "is_video": False, "emoji": emoji},
        })

    def user_sends_document(self, chat_id: int, file_name: str | None, content: bytes, *,
                            mime_type: str | None = "text/csv", caption: str | None = None,
                            user_id: int | None = None, chat_type: str = "private",
                            title: str | None = None) -> int:
        """Queue a message carrying a document (a file the bot may fetch with getFile)."""
        chat = self._remember_chat(chat_id, chat_type, title=title)
        stored = self.store_file(content, file_name=file_name, mime_type=mime_type)
        document: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                    "file_size": len(content)}
        if file_name is not None:
            document["file_name"] = file_name
        if mime_type is not None:
            document["mime_type"] = mime_type
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id), "date": int(time.time()), "chat": chat,
            "from": self._user(chat_id, chat_type, user_id, "Demo"), "document": document,
        }
        if caption:
            message["caption"] = caption
        return self._enqueue("message", message)

    def store_file(self, content: bytes, *, file_name: str | None = None,
                   mime_type: str | None = None) -> StoredFile:
        """Keep a file under a new file_id; return it."""
        number = next(self._file_ids)
        stored = StoredFile(f"loopback-file-{number}-{len(content)}", f"u{number}", content, file_name, mime_type)
        self.files[stored.file_id] = stored
        return stored

    def photos_to(self, chat_id: int) -> list[SentMessage]:
        """Return the photos the bot sent to the chat (not deleted), oldest first."""
        return [m for m in self.messages_to(chat_id) if m.photo is not None]

    def user_clicks(self, chat_id: int, message_id: int, data: str, *,
                    user_id: int | None = None, first_name: str = "Demo") -> int:
        """Queue a press on an inline button of a bot message; return the update_id."""
        try:
            message = self._find_message(chat_id, message_id, "")
        except ApiRefusal:
            raise LookupError(f"the bot sent no message {message_id} to chat {chat_id}") from None
        query_id = str(next(self._query_ids))
        self._pending_queries.add(query_id)
        chat_type = self._chat_json(chat_id)["type"]
        return self._enqueue("callback_query", {
            "id": query_id, "from": self._user(chat_id, chat_type, user_id, first_name),
            "message": self._message_json(message), "chat_instance": str(chat_id), "data": data,
        })

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Give a user a status in a group (getChatMember answers it): creator, administrator,
        member, restricted, left or kicked. Users never set are members, except GROUP_USER_ID
        (who speaks when a test names nobody), the group's creator."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown chat member status {status!r}")
        self._members[(chat_id, user_id)] = status

    def member_status(self, chat_id: int, user_id: int) -> str:
        """Return what getChatMember says of the user in the chat."""
        if chat_id > 0:  # a private chat: its user is its only member
            return "member" if user_id == chat_id else "left"
        default = "creator" if user_id == GROUP_USER_ID else "member"
        return self._members.get((chat_id, user_id), default)

    def flood_chat(self, chat_id: int, retry_after: int, *, times: int = 1) -> None:
        """Answer the next `times` sendMessage calls to this chat (only) with 429 retry_after."""
        self._chat_floods[chat_id].extend([retry_after] * times)

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Return the bot's messages in the chat that were not deleted, oldest first."""
        return [m for m in self._messages.get(chat_id, []) if not m.deleted]

    async def wait_for_messages(self, chat_id: int, count: int,
                                timeout: float = 5.0) -> list[SentMessage]:
        """Wait until the chat shows at least count messages from the bot; return them all."""
        try:
            async with asyncio.timeout(timeout):
                while len(self.messages_to(chat_id)) < count:
                    await self._changed.wait()
        except TimeoutError:
            seen = [m.visible_text for m in self.messages_to(chat_id)]
            raise TimeoutError(f"chat {chat_id} shows {len(seen)} of {count} messages "
                               f"after {timeout}s: {seen!r}") from None
        return self.messages_to(chat_id)

    # -- what the benchmark counts --------------------------------------------------------------

    def texts_by_chat(self) -> dict[int, list[str]]:
        """Return the current text of every message delivered to each chat (deleted too), in order."""
        return {chat: [m.text for m in sent] for chat, sent in self._messages.items() if sent}

    def duplicates(self) -> dict[int, list[str]]:
        """Return, per chat, the texts delivered more than once."""
        found = {}
        for chat, texts in self.texts_by_chat().items():
            repeated = sorted({t for t in texts if texts.count(t) > 1})
            if repeated:
                found[chat] = repeated
        return found

    def max_sends_per_second(self, chat_id: int | None = None) -> int:
        """Return the most messages delivered within any one second (to one chat if given)."""
        chats = [chat_id] if chat_id is not None else list(self._messages)
        times = sorted(m.sent_at for c in chats for m in self._messages.get(c, []))
        best, first = 0, 0
        for last, moment in enumerate(times):
            while moment - times[first] >= 1.0:
                first += 1
            best = max(best, last - first + 1)
        return best

    # -- faults ---------------------------------------------------------------------------------

    def block(self, chat_id: int) -> None:
        """Make the user block the bot: sends get 403 until the user writes again."""
        self._chat_faults[chat_id] = ("blocked", 403, "Forbidden: bot was blocked by the user", None)
        self._bot_status_changed(chat_id, "kicked")

    def kick(self, chat_id: int) -> None:
        """Remove the bot from the group: sends get 403."""
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        self._chat_faults[chat_id] = ("kicked", 403, f"Forbidden: bot was kicked from the {kind} chat",
                                      None)
        self._bot_status_changed(chat_id, "kicked")

    def chat_not_found(self, chat_id: int) -> None:
        """Make the chat unknown: calls get 400 "chat not found"."""
        self._chat_faults[chat_id] = ("not_found", 400, "Bad Request: chat not found", None)

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """Upgrade the group to a supergroup: calls to the old id get 400 with migrate_to_chat_id."""
        title = self._chat_json(chat_id).get("title")
        self._remember_chat(new_chat_id, "supergroup", title=title)
        self._chat_faults[chat_id] = ("migrated", 400,
                                      "Bad Request: group chat was upgraded to a supergroup chat",
                                      {"migrate_to_chat_id": new_chat_id})

    def restore(self, chat_id: int) -> None:
        """Clear any fault set on the chat."""
        self._chat_faults.pop(chat_id, None)

    def fail_next(self, method: str, status: int, description: str, *,
                  retry_after: int | None = None, times: int = 1) -> None:
        """Answer the next `times` calls of method with this error (and retry_after if given)."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        for _ in range(times):
            self._method_faults[method.lower()].append(ApiRefusal(status, description, parameters))

    def hang_next(self, method: str, seconds: float, times: int = 1, *,
                  deliver: bool = True) -> None:
        """Hold back the answer to the next calls of method; deliver=False holds them before
        they take effect, so a client that gives up leaves nothing delivered."""
        self._hangs[method.lower()].extend(_Hang(seconds, deliver) for _ in range(times))

    # -- helpers --------------------------------------------------------------------------------

    def _find_message(self, chat_id: int, message_id: int, missing: str) -> SentMessage:
        for message in self._messages.get(chat_id, []):
            if message.message_id == message_id and not message.deleted:
                return message
        raise ApiRefusal(400, missing)

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] += 1
        return self._last_message_id[chat_id]

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        self._pulse()
        return update_id

    def _bot_status_changed(self, chat_id: int, status: str) -> None:
        chat = self._chat_json(chat_id)
        self._enqueue("my_chat_member", {
            "chat": chat, "from": self._user(chat_id, chat["type"], None, "Demo"),
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": self._bot_user()},
            "new_chat_member": {"status": status, "user": self._bot_user(), "until_date": 0},
        })

    def _remember_chat(self, chat_id: int, chat_type: str, *, first_name: str = "Demo",
                       title: str | None = None) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = title or f"Group {chat_id}"
        self._chats[chat_id] = chat
        return chat

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    def _user(self, chat_id: int, chat_type: str, user_id: int | None,
              first_name: str) -> dict[str, Any]:
        default = chat_id if chat_type == "private" else GROUP_USER_ID
        return {"id": user_id or default, "is_bot": False, "first_name": first_name}

    def _bot_user(self) -> dict[str, Any]:
        prefix = self.token.split(":", 1)[0]
        return {"id": int(prefix) if prefix.isdigit() else 123456, "is_bot": True,
                "first_name": "Earnings Demo", "username": self.bot_username}

    def _message_json(self, message: SentMessage) -> dict[str, Any]:
        body: dict[str, Any] = {"message_id": message.message_id, "from": self._bot_user(),
                                "chat": self._chat_json(message.chat_id), "date": int(time.time())}
        if message.photo is not None:
            width, height = message.photo_size
            body["photo"] = [{"file_id": f"photo-{message.chat_id}-{message.message_id}",
                              "file_unique_id": f"p{message.chat_id}x{message.message_id}",
                              "width": width, "height": height, "file_size": len(message.photo)}]
            if message.visible_text:
                body["caption"] = message.visible_text
        else:
            body["text"] = message.visible_text
        if message.reply_markup:
            body["reply_markup"] = message.reply_markup
        return body

    def _pulse(self) -> None:
        """Wake everything waiting for a change: long polls, hangs, wait_for_messages."""
        self._changed.set()
        self._changed = asyncio.Event()
