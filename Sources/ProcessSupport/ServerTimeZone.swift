import Foundation

/// The long-running servers (`meshpeer run`, `meshpeer indexer`) keep their process's time zone at GMT.
///
/// Why: Hummingbird's `DateCache` builds a Gregorian calendar when its server starts, and the calendar asks for
/// `TimeZone.current`. Foundation resolves any zone but a "GMT" name through ICU's zone data (`ZoneMeta`,
/// `ures_openDirect`), which faulted about 2 MB of ICU and FoundationInternationalization code into every node and
/// indexer for a value nothing needs: what these processes answer, store and log as JSON is UTC already (ISO 8601 in
/// the API, the audit log, `--log-format json`). One thing shows it: swift-log's text lines stamp the local time, and
/// now carry `+0000`, as a server's logs usually do. Not for commands that start programs people look at: the
/// variable is inherited.
public enum ServerTimeZone {
    /// Call before anything asks for the current time zone: Foundation caches the first answer.
    public static func useGMT() {
        setenv("TZ", "GMT", 1)
    }
}
