"""Handler registration: one list, in the order python-telegram-bot tries them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.telegram.commands import UserCommands, error_handler
from bot.telegram.replies import COMMANDS

if TYPE_CHECKING:
    from bot.app import Services

COMMAND_MENU = COMMANDS


def add_handlers(application: Application, commands: UserCommands, services: Services) -> None:
    """Register every command; unknown commands last."""
    from bot.telegram.admin_commands import AdminCommands

    admin = AdminCommands(
        services.engine, admin_chat_ids=services.settings.admin_chat_ids, clock=services.clock,
        on_enqueued=services.wake_sender,
    )
    application.add_handlers(
        [
            CommandHandler("start", commands.start_command),
            CommandHandler("help", commands.help_command),
            CommandHandler("watch", commands.watch_command),
            CommandHandler("unwatch", commands.unwatch_command),
            CommandHandler("watchlist", commands.watchlist_command),
            CommandHandler("stop", commands.stop_command),
            CommandHandler("status", commands.status_command),
            CommandHandler("settings", commands.settings_command),
            CallbackQueryHandler(commands.settings_button, pattern=r"^ann:"),
            CommandHandler("stats", admin.stats_command),
            CommandHandler("broadcast", admin.broadcast_command),
            # Must stay last: any other /command or plain text gets a pointer to /help.
            MessageHandler(filters.COMMAND, commands.unknown_command),
            MessageHandler(filters.TEXT & filters.ChatType.PRIVATE, commands.plain_text),
        ]
    )
    application.add_error_handler(error_handler)
