"""Speech intake: streaming Mandarin transcription with Vosk (issue 5)."""
