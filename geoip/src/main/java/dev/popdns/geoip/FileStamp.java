package dev.popdns.geoip;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * What tells one version of a database file from the next: inode (file key), modification time
 * and size. A replacement by rename changes the inode even when the time is kept (npm and tar
 * restore a fixed 1985 time stamp) and the size happens to match.
 */
record FileStamp(Object fileKey, FileTime lastModified, long size) {

    /** The stamp of a file that could not be read. */
    static final FileStamp MISSING = new FileStamp(null, null, -1);

    /** Reads the stamp of {@code path}, following symbolic links. */
    static FileStamp read(Path path) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        return new FileStamp(attributes.fileKey(), attributes.lastModifiedTime(), attributes.size());
    }
}
