"""The use cases: sync, detect, evaluate, publish alerts through ports; pure rules live in bot.domain."""
