"""Handler registration: one list, in the order python-telegram-bot tries them."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.kpis import KpiDefinitions, load_kpis
from bot.telegram import bounds
from bot.telegram.access import Callback, GroupAdmins, admins_only, always, with_arguments
from bot.telegram.admin_commands import AdminCommands
from bot.telegram.calendar_commands import CalendarCommands
from bot.telegram.chart_commands import ChartCommands
from bot.telegram.commands import UserCommands, error_handler
from bot.telegram.expect_commands import CHOICE_PREFIX, ExpectCommands
from bot.telegram.forget_command import FORGET_PREFIX, ForgetCommands
from bot.telegram.import_document import DocumentImport
from bot.telegram.replies import COMMANDS
from bot.telegram.result_commands import ResultCommands
from bot.telegram.settings_commands import BUTTON_PATTERN as SETTINGS_BUTTONS
from bot.telegram.settings_commands import SettingsCommands
from bot.telegram.time_commands import TimeCommands

COMMAND_MENU = COMMANDS
# In groups only the chat's administrators may run these: always, or when given arguments (without
# them they only show something).
CHANGES_ALWAYS = frozenset({"start", "watch", "unwatch", "stop", "forget"})
CHANGES_WITH_ARGUMENTS = frozenset({"settings", "timezone", "expect", "quiet"})


def add_handlers(application: Application, commands: UserCommands, admin: AdminCommands,
                 calendar: CalendarCommands, kpis: KpiDefinitions | None = None,
                 group_admins: GroupAdmins | None = None) -> None:
    """Register every command; unknown commands last."""
    # Only new messages: an edited /broadcast or /watch must not run again, and channel posts are
    # not conversations with the bot.
    new_message = filters.UpdateType.MESSAGE
    steps = commands.transactions  # the commands' steps, as the application runs them
    time = TimeCommands(commands.db, clock=commands.clock, transactions=steps)
    settings = SettingsCommands(commands.db, clock=commands.clock, transactions=steps)
    kpis = kpis or load_kpis()
    expect = ExpectCommands(commands.db, kpis, clock=commands.clock, transactions=steps)
    chart = ChartCommands(commands.db)
    documents = DocumentImport(commands.db, kpis, is_admin=admin.is_admin, clock=commands.clock)
    results = ResultCommands(commands.db, transactions=steps)
    forget = ForgetCommands(commands.db, transactions=steps)
    admins = group_admins or GroupAdmins()
    commands_by_name: list[tuple[str, Callback]] = [
        ("start", commands.start_command),
        ("help", commands.help_command),
        ("watch", commands.watch_command),
        ("unwatch", commands.unwatch_command),
        ("watchlist", commands.watchlist_command),
        ("upcoming", calendar.upcoming_command),
        ("next", calendar.next_command),
        ("last", results.last_command),
        ("stop", commands.stop_command),
        ("status", commands.status_command),
        ("settings", settings.settings_command),
        ("timezone", time.timezone_command),
        ("expect", expect.expect_command),
        ("expectations", expect.expectations_command),
        ("quiet", commands.quiet_command),
        ("forget", forget.forget_command),
        ("stats", admin.stats_command),
        ("broadcast", admin.broadcast_command),
    ]

    def gated(name: str, callback: Callback) -> Callback:
        if name in CHANGES_ALWAYS:
            return admins_only(callback, admins, changes=always)
        if name in CHANGES_WITH_ARGUMENTS:
            return admins_only(callback, admins, changes=with_arguments)
        return callback

    # Before any command: one too long or with too many arguments is answered and goes no further.
    application.add_handler(MessageHandler(filters.COMMAND & new_message, bounds.refuse_oversize), group=-1)
    application.add_handlers(
        [
            *(CommandHandler(name, gated(name, callback), filters=new_message)
              for name, callback in commands_by_name),
            # Drawing takes a moment: the chart is made beside other chats' updates, not before them.
            CommandHandler("chart", chart.chart_command, filters=new_message, block=False),
            CallbackQueryHandler(admins_only(settings.settings_button, admins), pattern=SETTINGS_BUTTONS),
            CallbackQueryHandler(admins_only(expect.choice_button, admins), pattern=f"^{CHOICE_PREFIX}"),
            CallbackQueryHandler(admins_only(forget.forget_button, admins), pattern=f"^{FORGET_PREFIX}"),
            CallbackQueryHandler(commands.stale_button),
            # Must stay last: any other /command or message gets a pointer to /help.
            MessageHandler(filters.COMMAND & new_message, commands.unknown_command),
            MessageHandler(filters.Document.ALL & new_message, documents.document_message),
            MessageHandler(filters.ChatType.PRIVATE & new_message, commands.plain_text),
        ]
    )
    application.add_error_handler(error_handler)


def command_names() -> frozenset[str]:
    """Every command the bot answers (the flood limit counts these in groups)."""
    return frozenset(name for name, _text in COMMANDS) | {"stats", "broadcast", "forget"}
