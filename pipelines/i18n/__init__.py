"""What a person reads: the message catalogue and the Persian text helpers (digits, Jalali dates, tomans)."""
