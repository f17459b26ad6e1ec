package dev.pigeonhole.load.scenario;

import dev.pigeonhole.load.Target;
import dev.pigeonhole.load.report.Report;

/**
 * A load scenario: built from its spec record, run against a running Pigeonhole, answering a {@link Report}. A run
 * uses fresh user names (a run id), so runs can follow each other against one server. {@link #run} blocks until the
 * scenario is done; it throws only when it could not run at all (e.g. nothing listens); a run that found a problem
 * returns a report that did not pass.
 */
public interface Scenario {
    String name();

    Report run(Target target) throws Exception;
}
