"""Server-rendered pages. Thin: parse the form, call one service or selector, render."""
