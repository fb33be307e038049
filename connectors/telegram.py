"""Telegram channel: python-telegram-bot (v22) in webhook mode inside the gateway's event loop.

It follows the library's "custom webhook" pattern: the `Application` is built without an
updater, initialised and started in the FastAPI lifespan, and each webhook request is turned into
an `Update` (`Update.de_json`) and handled at once with `application.process_update`.

Mounting (gateway/app.py):

    telegram = TelegramChannel.from_env(os.environ)      # None unless TELEGRAM_BOT_TOKEN is set
    if telegram:
        app.include_router(telegram.router)              # POST /webhooks/telegram
    # in the lifespan, once app.state.chat exists:
        if telegram: await telegram.start(app.state.chat)
        yield
        if telegram: await telegram.stop()

Settings: TELEGRAM_BOT_TOKEN (the channel is on when set), TELEGRAM_WEBHOOK_SECRET (Telegram
sends it in X-Telegram-Bot-Api-Secret-Token; without it every webhook request is refused),
TELEGRAM_API_BASE (python-telegram-bot's base_url, default https://api.telegram.org/bot) and the
optional TELEGRAM_WEBHOOK_URL (public URL of /webhooks/telegram: registered with setWebhook at
start).

Rendering of a reply (any `kind`): each message is sent in order, split at Telegram's 4096-unit
limit on line boundaries; its buttons become an inline keyboard (one button a row) on its last
part; the sources that have a URL are listed under the last message ("Xem thêm"). A reply without
messages (a human owns the conversation) sends nothing.

Local trial without a public URL: `python -m connectors.telegram --polling` runs the same handlers
with long polling against the real Bot API, talking to Rasa as configured by the gateway settings.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import hashlib
import hmac
import logging
import os
import sys

from fastapi import APIRouter, Request, Response
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from connectors.common import BUSY, CHOOSE, VOICE, RecentIds, split_text, with_sources
from gateway.rasa_client import ServiceUnavailable

log = logging.getLogger("connectors.telegram")

DEFAULT_API_BASE = "https://api.telegram.org/bot"
TEXT_LIMIT = 4096          # Telegram's limit for one message, in UTF-16 code units
CALLBACK_LIMIT = 64        # ... and for callback_data, in bytes
KEY_PREFIX = "k:"          # callback_data that stands for a longer payload kept in memory

STALE_BUTTON = "Nút này đã cũ. Bạn vui lòng gõ lại câu hỏi giúp mình nhé."
GREETING = "xin chào"      # what /start and /help mean to the bot


def telegram_parts(text: str) -> list[str]:
    """Parts of a text that each fit one Telegram message."""
    return split_text(text, TEXT_LIMIT, units)


def units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


class TelegramChannel:
    name = "telegram"

    def __init__(self, token: str, secret: str, api_base: str = DEFAULT_API_BASE, chat=None,
                 webhook_url: str | None = None, polling: bool = False):
        self.secret = secret
        self.webhook_url = webhook_url
        self.chat = chat  # anything with `async turn(sender, text, channel) -> Reply`
        self.seen = RecentIds()
        self.ready = False
        self._starting = asyncio.Lock()
        self.payloads: collections.OrderedDict[str, str] = collections.OrderedDict()  # key -> long payload
        builder = Application.builder().token(token).base_url(api_base)
        self.application = (builder if polling else builder.updater(None)).build()
        new = filters.UpdateType.MESSAGE  # not edits
        self.application.add_handler(MessageHandler(new & filters.TEXT, self.on_text))
        self.application.add_handler(MessageHandler(new & (filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE), self.on_voice))
        self.application.add_handler(CallbackQueryHandler(self.on_button))
        self.application.add_error_handler(self.on_error)
        self.router = APIRouter()
        self.router.add_api_route("/webhooks/telegram", self.webhook, methods=["POST"], include_in_schema=False)
        if not secret and not polling:
            log.warning("TELEGRAM_WEBHOOK_SECRET is not set: every webhook request will be refused")

    @classmethod
    def from_env(cls, env=None, chat=None) -> "TelegramChannel | None":
        """The channel configured by `env`, or None when TELEGRAM_BOT_TOKEN is not set."""
        env = os.environ if env is None else env
        if not env.get("TELEGRAM_BOT_TOKEN"):
            return None
        return cls(env["TELEGRAM_BOT_TOKEN"], env.get("TELEGRAM_WEBHOOK_SECRET", ""),
                   env.get("TELEGRAM_API_BASE") or DEFAULT_API_BASE, chat, env.get("TELEGRAM_WEBHOOK_URL") or None)

    async def start(self, chat=None) -> None:
        """Start the bot; when Telegram cannot be reached the gateway still starts, and the next
        webhook request tries again."""
        if chat is not None:
            self.chat = chat
        try:
            await self._ensure_started()
        except Exception:
            log.exception("telegram channel could not start; will retry on the next update")

    async def _ensure_started(self) -> None:
        async with self._starting:
            if self.ready:
                return
            await self.application.initialize()  # calls getMe
            await self.application.start()
            if self.webhook_url:
                await self.application.bot.set_webhook(self.webhook_url, secret_token=self.secret or None,
                                                       allowed_updates=["message", "callback_query"])
            self.ready = True
            log.info("telegram channel started", extra={"bot": self.application.bot.username})

    async def stop(self) -> None:
        if self.ready:
            await self.application.stop()
            await self.application.shutdown()
            self.ready = False

    # -- the webhook --------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            return Response(status_code=403)
        try:
            data = await request.json()
            await self._ensure_started()
            if not self.seen.first_time(str(data["update_id"])):
                log.info("telegram update already handled", extra={"update_id": data["update_id"]})
                return Response(status_code=200)
            await self.application.process_update(Update.de_json(data, self.application.bot))
        except Exception:  # never fail the webhook: Telegram would retry the same update
            log.exception("telegram update failed")
        return Response(status_code=200)

    # -- handlers ----------------------------------------------------------------------------

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        text = update.effective_message.text.strip()
        if text.split("@")[0] in ("/start", "/help"):
            text = GREETING
        await self.answer(update.effective_chat.id, text)

    async def on_voice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.application.bot.send_message(update.effective_chat.id, VOICE)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        try:
            await query.answer()  # always, or the user's button keeps spinning
        except Exception:
            log.exception("answerCallbackQuery failed")
        chat_id = query.message.chat.id if query.message else query.from_user.id
        payload = self.payloads.get(query.data or "") if (query.data or "").startswith(KEY_PREFIX) else query.data
        if not payload:
            await self.application.bot.send_message(chat_id, STALE_BUTTON)
            return
        await self.answer(chat_id, payload)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram handler failed", exc_info=context.error)

    # -- replying ----------------------------------------------------------------------------

    async def answer(self, chat_id: int, text: str) -> None:
        """One chat turn for `text`, and its reply sent to `chat_id`."""
        if not text:
            return
        bot = self.application.bot
        try:
            await bot.send_chat_action(chat_id, "typing")
        except Exception:
            log.warning("sendChatAction failed", exc_info=True)
        try:
            reply = await self.chat.turn(f"tg:{chat_id}", text, "telegram")
        except Exception as exc:  # Rasa or the action server down (ServiceUnavailable), or a bug
            if isinstance(exc, ServiceUnavailable):
                log.warning("chat unavailable", extra={"part": exc.part, "detail": exc.detail})
            else:
                log.exception("chat turn failed")
            await bot.send_message(chat_id, BUSY)
            return
        for message in with_sources(reply):
            parts = telegram_parts(message.get("text") or CHOOSE)
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                await bot.send_message(chat_id, part, reply_markup=self.keyboard(message.get("buttons")) if last else None)

    async def deliver(self, chat_id: str, text: str) -> None:
        """A message from a volunteer or official in the handoff inbox."""
        await self._ensure_started()
        for part in telegram_parts(text):
            await self.application.bot.send_message(int(chat_id), part)

    def keyboard(self, buttons: list[dict] | None) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        return InlineKeyboardMarkup([[InlineKeyboardButton(b.get("title") or b.get("payload"),
                                                           callback_data=self.callback_data(b.get("payload") or b.get("title")))]
                                     for b in buttons])

    def callback_data(self, payload: str) -> str:
        """The payload itself when it fits in 64 bytes, else a short key remembered in memory."""
        if len(payload.encode()) <= CALLBACK_LIMIT and not payload.startswith(KEY_PREFIX):
            return payload
        key = KEY_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:24]
        self.payloads[key] = payload
        self.payloads.move_to_end(key)
        while len(self.payloads) > 5000:
            self.payloads.popitem(last=False)
        return key


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Telegram channel, long polling for local trials")
    parser.add_argument("--polling", action="store_true", required=True)
    parser.parse_args(argv)
    from gateway.chat import ChatService
    from gateway.rasa_client import RasaClient
    from gateway.settings import Settings
    from gateway.store import Store

    if not os.environ.get("TELEGRAM_BOT_TOKEN"):
        print("set TELEGRAM_BOT_TOKEN first", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO)
    settings = Settings.from_env()
    chat = ChatService(RasaClient(settings.rasa_url, settings.actions_url, settings.chat_timeout),
                       Store(settings.database_url))
    channel = TelegramChannel(os.environ["TELEGRAM_BOT_TOKEN"], "",
                              os.environ.get("TELEGRAM_API_BASE") or DEFAULT_API_BASE, chat, polling=True)
    channel.application.run_polling(allowed_updates=["message", "callback_query"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
