package dev.popdns.zone;

import org.xbill.DNS.Record;

/** A record as read from a zone file, with the line it started on (for error messages only). */
record SourcedRecord(Record record, int line) {}
