"""Notifications (Discord, Telegram), log formats and shipping (JSON lines, Logstash), statsd metrics."""
