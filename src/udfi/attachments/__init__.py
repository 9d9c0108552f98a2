"""The forms the return attaches, laid out line by line with the official line numbers and captions
(attachments.pdf): Schedule D (Form 1041) with Form 8949, the Schedule D Tax Worksheet, Form 4797 and
Form 2220; and the one-page filing letter (letter.pdf). Every amount is the engine's (the account
object, docs/return-json.md); the line layouts are data (schemas/attachments/*.yaml)."""
