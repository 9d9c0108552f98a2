"""udfi's PDF documents (statements.pdf, attachments.pdf, letter.pdf, the Part V continuation) laid out
with ReportLab: the jinja templates give the content as a closed subset of HTML, their CSS files the
look; `flow` turns the two into platypus flowables and `pages` writes each document's pages."""
