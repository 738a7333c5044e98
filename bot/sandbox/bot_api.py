"""A loopback Telegram Bot API server for the demo, the console, tests and benchmarks.

    async with LoopbackBotApi() as api:
        app = ApplicationBuilder().token(api.token).base_url(api.bot_base_url).build()
        ...                                    # start polling
        api.user_sends(42, "/start")
        [reply] = await api.wait_for_messages(42, 1)

It speaks the Bot API over real HTTP on 127.0.0.1 (GET or POST; form, JSON or multipart bodies),
answers with Telegram's error shapes, refuses sends over Telegram's flood limits, checks every call
against api.json when given its path (spec_path; else the lenient built-in spec), and lets a caller script faults: a user who blocked the
bot, a group that kicked it, an unknown or migrated chat, a scripted error, a hang.

This module is the HTTP side and the Bot API methods; the chats it keeps, the user's side and the
scripted faults are in bot_api_chats.py, the rules it enforces in bot_api_spec.py.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from bot.sandbox.bot_api_chats import (
    ApiRefusal,
    LoopbackChats,
    RecordedCall,
    SentMessage,
    StoredFile,
)
from bot.sandbox.bot_api_spec import (
    MAX_CAPTION_UTF16,
    MAX_TEXT_UTF16,
    PARSE_MODES,
    ApiSpec,
    EntityParseError,
    FloodGate,
    FloodLimits,
    ParamError,
    image_size,
    utf16_len,
    visible_text,
)
from bot.sandbox.bot_api_webhook import WEBHOOK_CONFLICT, LoopbackWebhook, WebhookPusher

__all__ = ["FloodLimits", "LoopbackBotApi", "RecordedCall", "SentMessage", "StoredFile"]

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:LOOPBACK-TOKEN"
CONFLICT = ("Conflict: terminated by other getUpdates request; "
            "make sure that only one bot instance is running")
_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[A-Za-z0-9_]+)/?")
_FILE_PATH = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)")
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # Telegram's limit for a photo uploaded with multipart
MAX_PHOTO_SIDES = 10_000  # width + height
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile serves files up to 20 MB
_HIDDEN_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_ADMIN_RIGHTS = ("can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
                 "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
                 "can_edit_stories", "can_delete_stories")
_MEMBER_RIGHTS = ("can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
                  "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
                  "can_send_other_messages", "can_add_web_page_previews", "can_change_info",
                  "can_invite_users", "can_pin_messages", "can_manage_topics")
_CHAT_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
                 "upload_voice", "upload_document", "choose_sticker", "find_location",
                 "record_video_note", "upload_video_note"}


class LoopbackBotApi(LoopbackChats):
    """A Bot API server in the caller's event loop; see the module docstring."""

    def __init__(
        self, token: str = DEFAULT_TOKEN, *, flood: FloodLimits | None = None,
        spec_path: Path | None = None, bot_username: str = "earnings_demo_bot",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(token, bot_username=bot_username)
        self.clock = clock
        self.flood = FloodGate(flood or FloodLimits(), clock)
        self.spec = ApiSpec.load(spec_path) if spec_path else ApiSpec.builtin()
        self.base_url = ""
        self.calls: list[RecordedCall] = []
        self.downloads: list[tuple[str, int]] = []  # (file_path, status) of each /file/ request
        self.spec_violations: list[str] = []
        self.sends_ok = self.sends_429 = self.sends_refused = 0
        self.in_flight = 0  # requests being answered (a cancelled one, its client gone, counts out)
        # chat id -> released: a sendMessage to that chat waits, unanswered, until the event is set
        self.held_chats: dict[int, asyncio.Event] = {}
        self.held_sends = 0  # sends waiting on a held chat now
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.my_commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._allowed_updates: set[str] | None = None
        self._poll_generation = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.webhook: LoopbackWebhook | None = None  # set by setWebhook: updates are POSTed there
        self._pusher = WebhookPusher(self)
        self._handlers: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "getMe": self._get_me, "logOut": self._true, "close": self._true,
            "deleteWebhook": self._delete_webhook, "getUpdates": self._get_updates,
            "sendMessage": self._send_message, "editMessageText": self._edit_message_text,
            "deleteMessage": self._delete_message, "sendChatAction": self._send_chat_action,
            "getChat": self._get_chat, "getChatMember": self._get_chat_member, "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands, "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPhoto": self._send_photo, "getFile": self._get_file,
        }

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def bot_base_url(self) -> str:
        """Return the value for PTB's base_url: the token is appended to it."""
        return f"{self.base_url}/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 picks a free port) and set base_url."""
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        # A large backlog: a burst of pooled connections must not be reset.
        site = web.TCPSite(self._runner, host, port, backlog=4096)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._closing = False
        logger.info("loopback Bot API listening on %s", self.base_url)

    async def stop(self) -> None:
        """Answer pending long polls and hangs at once, then close every connection."""
        if self._runner is None:
            return
        self._closing = True
        self._pulse()
        await self._pusher.stop()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> LoopbackBotApi:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    # -- HTTP -----------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        try:
            if request.path.startswith("/file/"):
                return self._download(request)
            return await self._answer(request)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request) -> web.Response:
        arrived = self.clock()
        match = _PATH.fullmatch(request.path)
        name = match["method"] if match else request.path
        method = self.spec.canonical(name) or _canonical(name, self._handlers) or name
        params: dict[str, Any] = {}
        hang = self._hangs[method.lower()].popleft() if self._hangs.get(method.lower()) else None
        try:
            params = await _read_params(request)
            if match is None:
                raise ApiRefusal(404, "Not Found")
            if match["token"] != self.token:
                raise ApiRefusal(401, "Unauthorized")
            if method not in self.spec.methods and method not in self._handlers:
                raise ApiRefusal(404, "Not Found")
            params = self._checked(method, params)
            if self._method_faults.get(method.lower()):
                raise self._method_faults[method.lower()].popleft()
            handler = self._handlers.get(method)
            if handler is None:
                raise ApiRefusal(400, f"Bad Request: the loopback server does not serve {method}")
            if hang and not hang.deliver:
                await self._sleep(hang.seconds)
            status, body = 200, {"ok": True, "result": await handler(params)}
        except ApiRefusal as refusal:
            status, body = refusal.status, refusal.body()
        self._record(method, params, status, arrived, body.get("description"))
        if hang and hang.deliver:
            await self._sleep(hang.seconds)
        return web.json_response(body, status=status)

    def _checked(self, method: str, raw: dict[str, Any]) -> dict[str, Any]:
        try:
            params = self.spec.decode(method, raw)
        except ParamError as exc:
            self.spec_violations.append(f"{method}: {exc}")
            raise ApiRefusal(400, f"Bad Request: {exc}") from exc
        problems = self.spec.violations(method, params)
        if problems:
            self.spec_violations.extend(f"{method}: {problem}" for problem in problems)
            raise ApiRefusal(400, f"Bad Request: {'; '.join(problems)}")
        return params

    def _record(self, method: str, params: dict[str, Any], status: int, arrived: float,
                description: str | None) -> None:
        chat_id = params.get("chat_id")
        self.calls.append(RecordedCall(method, params, status, arrived, chat_id, description))
        if method == "sendMessage":
            if status == 200:
                self.sends_ok += 1
            elif status == 429:
                self.sends_429 += 1
            else:
                self.sends_refused += 1
        logger.debug("%s chat=%s -> %d %s", method, chat_id, status, description or "")

    def _download(self, request: web.Request) -> web.Response:
        """Serve a file getFile named, at /file/bot<token>/<file_path>, as Telegram does."""
        match = _FILE_PATH.fullmatch(request.path)
        stored = next((f for f in self.files.values() if match and f.file_path == match["path"]), None)
        status = 200 if stored is not None and match is not None and match["token"] == self.token else 404
        self.downloads.append((match["path"] if match else request.path, status))
        if status != 200 or stored is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        return web.Response(body=stored.content, content_type="application/octet-stream")

    # -- methods --------------------------------------------------------------------------------

    async def _true(self, _params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_user(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        await self._pusher.stop()
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params["url"])
        if not url:
            return await self._delete_webhook(params)
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ApiRefusal(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = LoopbackWebhook(url, params.get("secret_token"), params.get("allowed_updates"))
        self._pulse()  # a long poll waiting now ends in 409
        self._pusher.start()
        return True

    async def _get_webhook_info(self, _params: dict[str, Any]) -> dict[str, Any]:
        hook = self.webhook
        return {"url": hook.url if hook else "", "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        self._poll_generation += 1
        generation = self._poll_generation
        self._pulse()  # an older poll still waiting now answers 409, as Telegram's does
        offset = params.get("offset")
        if offset:
            self._updates = (self._updates[offset:] if offset < 0 else
                             [u for u in self._updates if u["update_id"] >= offset])
        if "allowed_updates" in params:
            self._allowed_updates = set(params["allowed_updates"]) or None
        limit = min(max(params.get("limit") or 100, 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(params.get("timeout") or 0, 0)
        while True:
            if self.webhook is not None:
                raise ApiRefusal(409, WEBHOOK_CONFLICT)
            if generation != self._poll_generation:
                raise ApiRefusal(409, CONFLICT)
            ready = [u for u in self._updates if self._wanted(u)][:limit]
            remaining = deadline - loop.time()
            if ready or remaining <= 0 or self._closing:
                return ready
            await self._wait_change(remaining)

    def hold_sends_to(self, chat_id: int) -> asyncio.Event:
        """Keep each sendMessage to the chat on the wire, unanswered, until the returned event is set."""
        released = self.held_chats[chat_id] = asyncio.Event()
        return released

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        visible = self._visible(params["text"], params.get("parse_mode"))
        markup = _checked_markup(params.get("reply_markup"))
        if chat_id in self.held_chats:
            self.held_sends += 1
            self._pulse()
            try:
                await self.held_chats[chat_id].wait()
            finally:
                self.held_sends -= 1
        if self._chat_floods.get(chat_id):
            told = self._chat_floods[chat_id].popleft()
            raise ApiRefusal(429, f"Too Many Requests: retry after {told}", {"retry_after": told})
        wait = self.flood.admit(chat_id, paid=bool(params.get("allow_paid_broadcast")))
        if wait is not None:
            raise ApiRefusal(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        message = SentMessage(chat_id, self._next_message_id(chat_id), params["text"],
                              params.get("parse_mode"), visible, markup, self.clock(),
                              silent=bool(params.get("disable_notification")))
        self._messages[chat_id].append(message)
        self._pulse()
        return self._message_json(message)

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        photo = params["photo"]
        if isinstance(photo, dict) and isinstance(photo.get("content"), bytes):
            content: bytes = photo["content"]
        elif isinstance(photo, str) and photo in self.files:
            content = self.files[photo].content
        else:
            raise ApiRefusal(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if len(content) > MAX_PHOTO_BYTES:
            raise ApiRefusal(413, "Request Entity Too Large")
        size = image_size(content)
        if size is None:
            raise ApiRefusal(400, "Bad Request: IMAGE_PROCESS_FAILED")
        if sum(size) > MAX_PHOTO_SIDES or max(size) > 20 * min(size):
            raise ApiRefusal(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        caption, parse_mode = params.get("caption") or "", params.get("parse_mode")
        visible = self._visible(caption, parse_mode, limit=MAX_CAPTION_UTF16) if caption else ""
        markup = _checked_markup(params.get("reply_markup"))
        wait = self.flood.admit(chat_id, paid=bool(params.get("allow_paid_broadcast")))
        if wait is not None:
            raise ApiRefusal(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        message = SentMessage(chat_id, self._next_message_id(chat_id), caption, parse_mode, visible,
                              markup, self.clock(), photo=content, photo_size=size)
        self._messages[chat_id].append(message)
        self._pulse()
        return self._message_json(message)

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored: StoredFile | None = self.files.get(str(params["file_id"]))
        if stored is None:
            raise ApiRefusal(400, "Bad Request: invalid file_id")
        if len(stored.content) > MAX_DOWNLOAD_BYTES:
            raise ApiRefusal(400, "Bad Request: file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.content), "file_path": stored.file_path}

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        if "inline_message_id" in params:
            raise ApiRefusal(400, "Bad Request: the loopback server has no inline messages")
        if "message_id" not in params or "chat_id" not in params:
            raise ApiRefusal(400, "Bad Request: message identifier is not specified")
        chat_id = self._target_chat(params)
        message = self._find_message(chat_id, params["message_id"],
                                     "Bad Request: message to edit not found")
        if message.photo is not None:
            raise ApiRefusal(400, "Bad Request: there is no text in the message to edit")
        if "text" not in params:
            raise ApiRefusal(400, "Bad Request: message text is empty")
        text, parse_mode = params["text"], params.get("parse_mode")
        visible = self._visible(text, parse_mode)
        markup = _checked_markup(params.get("reply_markup"))
        if (text, parse_mode, markup) == (message.text, message.parse_mode, message.reply_markup):
            raise ApiRefusal(400, "Bad Request: message is not modified: specified new message "
                                  "content and reply markup are exactly the same as a current "
                                  "content and reply markup of the message")
        message.history.append(message.text)
        message.text, message.parse_mode, message.visible_text = text, parse_mode, visible
        message.reply_markup, message.edited = markup, True  # no markup given removes the keyboard
        self._pulse()
        return {**self._message_json(message), "edit_date": int(time.time())}

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        chat_id = self._target_chat(params)
        message = self._find_message(chat_id, params["message_id"],
                                     "Bad Request: message to delete not found")
        message.deleted = True
        self._pulse()
        return True

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._target_chat(params)
        if params["action"] not in _CHAT_ACTIONS:
            raise ApiRefusal(400, "Bad Request: wrong parameter action in request")
        return True

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        return {**self._chat_json(chat_id), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}

    async def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._target_chat(params)
        user_id = int(params["user_id"])
        status = self.member_status(chat_id, user_id)
        user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update({"can_be_edited": False, "is_anonymous": False, **dict.fromkeys(_ADMIN_RIGHTS, True)})
        elif status == "restricted":
            member.update({"is_member": True, "until_date": 0, **dict.fromkeys(_MEMBER_RIGHTS, False)})
        elif status == "kicked":
            member["until_date"] = 0
        return member

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if len(commands) > 100:
            raise ApiRefusal(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not _COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise ApiRefusal(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiRefusal(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.get("scope")), params.get("language_code") or "")
        self.my_commands[key] = [{"command": c["command"], "description": c["description"]}
                                 for c in commands]
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        key = (_scope_key(params.get("scope")), params.get("language_code") or "")
        return self.my_commands.get(key, [])

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self._pending_queries:
            raise ApiRefusal(400, "Bad Request: query is too old and response timeout expired "
                                  "or query ID is invalid")
        self._pending_queries.discard(query_id)
        self.callback_answers[query_id] = {k: v for k, v in params.items()
                                           if k != "callback_query_id"}
        return True

    # -- helpers --------------------------------------------------------------------------------

    def _target_chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):  # @usernames are not resolved here
            raise ApiRefusal(400, "Bad Request: chat not found")
        fault = self._chat_faults.get(chat_id)
        if fault:
            raise ApiRefusal(*fault[1:])
        return chat_id

    def _visible(self, text: str, parse_mode: str | None, *, limit: int = MAX_TEXT_UTF16) -> str:
        if parse_mode and parse_mode.lower() not in PARSE_MODES:
            raise ApiRefusal(400, "Bad Request: unsupported parse_mode")
        try:
            visible = visible_text(text, parse_mode)
        except EntityParseError as exc:
            raise ApiRefusal(400, f"Bad Request: can't parse entities: {exc}") from exc
        if not visible.strip():
            raise ApiRefusal(400, "Bad Request: message text is empty")
        if utf16_len(visible) > limit:
            raise ApiRefusal(400, "Bad Request: message is too long" if limit == MAX_TEXT_UTF16
                             else "Bad Request: message caption is too long")
        return visible

    def _wanted(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self._allowed_updates is None:
            return kind not in _HIDDEN_BY_DEFAULT
        return kind in self._allowed_updates


    async def _wait_change(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass

    async def _sleep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._closing and (remaining := deadline - loop.time()) > 0:
            await self._wait_change(remaining)


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Merge the query string with a form, multipart or JSON body; an uploaded file becomes
    {"file_name": ..., "content": bytes}."""
    params: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise ApiRefusal(400, "Bad Request: can't parse JSON object") from exc
        if not isinstance(body, dict):
            raise ApiRefusal(400, "Bad Request: can't parse JSON object")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = {"file_name": value.filename, "content": value.file.read()}
            else:
                params[key] = value if isinstance(value, str) else bytes(value).decode("utf-8", "replace")
    return params


def _canonical(name: str, known: dict[str, Any]) -> str | None:
    return next((method for method in known if method.lower() == name.lower()), None)


def _checked_markup(markup: Any) -> dict[str, Any] | None:
    """Refuse inline buttons Telegram refuses: callback_data must be 1-64 bytes."""
    if not isinstance(markup, dict):
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise ApiRefusal(400, "Bad Request: BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise ApiRefusal(400, "Bad Request: text buttons are unallowed in the inline keyboard")
    return markup


def _scope_key(scope: dict[str, Any] | None) -> str:
    if not scope:
        return "default"
    ids = [str(scope[k]) for k in ("chat_id", "user_id") if k in scope]
    return ":".join([scope.get("type", "default"), *ids])
