"""The offline demo and console: February 2025 replayed through the real bot.

replay      the demo data (february_2025.json, read as package data) and a calendar replaying it
releases    the press releases the loopback EDGAR serves for the replayed reports
sandbox     the real application wired to the loopback servers and a fresh database
runner      `earnings-bot demo`: the scripted conversation, printed
console     `earnings-bot console`: lines typed as a user, the bot's replies printed
"""
