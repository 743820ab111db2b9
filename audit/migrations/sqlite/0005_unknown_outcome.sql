-- Attempts whose outcome is unknown (in flight, or cut off by a crash or a
-- failed write) are looked for every few seconds to be settled by reading
-- their contact: found by outcome and time, not by a scan of the trail.

CREATE INDEX attempts_outcome ON attempts (outcome, started_at);
