"""Letters by e-mail: composing the messages, sending them through SMTP and the sent log."""

# Here rather than in smtp.py and planning.py so the command line's options can name them without importing sending.
PASSWORD_ENV = "PACKGEN_SMTP_PASSWORD"
CHASE_EVERY_DAYS = 7
