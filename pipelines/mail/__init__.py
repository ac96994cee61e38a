"""Report emails: composing them (officer, rahyari, Fardap), the outbox, and delivery by SMTP."""
