"""Letters by e-mail: composing the messages, sending them through SMTP and the sent log."""
