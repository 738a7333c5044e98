"""Delivery: the outbox (alerts and per-chat deliveries), the rate-limited sender that drains it
into Telegram, message splitting and coalescing, and the alert renderer."""
