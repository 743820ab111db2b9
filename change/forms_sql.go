package change

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/contactdesk/contactdesk/db"
)

//go:embed migrations
var migrationFiles embed.FS

var migrations = db.Set{Owner: "change", Files: migrationFiles, Dir: "migrations", Table: "change_schema_migrations",
	LockKey: 0x666f726d73} // "forms"

// PostgresForms is Forms in PostgreSQL, so that a form posted to several
// instances (at once, or one after another behind a load balancer) makes
// at most one change and every post gets its outcome. Times are the
// database's, so the instances' clocks do not matter.
type PostgresForms struct {
	db *sql.DB
	// ttl keeps a saved form's outcome, releasedTTL a failed one's for
	// posts still waiting, workingTTL a claim whose instance died before
	// it finished (a later post then makes a fresh attempt, which re-reads
	// the contact first).
	ttl, releasedTTL, workingTTL time.Duration
	// poll is how often a waiting post looks for the outcome.
	poll   time.Duration
	claims atomic.Int64
	// instances says which instance this is and whether another is alive
	// (nil: claims name no instance, and waits last as ctx allows).
	instances Instances
}

// Instances names this instance and tells whether another is alive;
// *instances.Registry has it.
type Instances interface {
	ID() string
	Alive(ctx context.Context, id string) (bool, error)
}

// ErrAbandoned: the instance working on the form's first post died before
// it finished (a crash, a kill); whether its change reached ServiceTitan
// is not known here. Its claim stays until it expires: its write may
// still have been on its way, and a fresh attempt now could make it twice.
var ErrAbandoned = errors.New("forms: the first post's instance stopped before it finished")

// aliveEvery is how often a waiting post asks whether the instance working
// on the form is still alive.
const aliveEvery = 250 * time.Millisecond

// SetInstances names the instance every claim is made by, so that a post
// waiting on a claim of an instance that has died is told so at once
// (ErrAbandoned) instead of waiting for as long as its request lasts.
func (f *PostgresForms) SetInstances(in Instances) { f.instances = in }

func (f *PostgresForms) owner() string {
	if f.instances == nil {
		return ""
	}
	return f.instances.ID()
}

// OpenPostgresForms migrates the forms table on the app's database
// handle h (PostgreSQL) and returns the registry over it.
func OpenPostgresForms(ctx context.Context, h *db.DB) (*PostgresForms, error) {
	if h.Dialect != db.Postgres {
		return nil, fmt.Errorf("forms: the shared form registry needs PostgreSQL, not %s", h.Dialect)
	}
	if err := h.Migrate(ctx, migrations); err != nil {
		return nil, err
	}
	return &PostgresForms{db: h.DB, ttl: FormTTL, releasedTTL: releasedTTL, workingTTL: 2 * time.Minute, poll: 25 * time.Millisecond}, nil
}

// hashKey keeps session tokens and emails out of the table.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Claim implements Forms: the row is inserted, or taken over when the
// form is free again (released, or expired); otherwise it stays the
// other post's.
func (f *PostgresForms) Claim(ctx context.Context, key string) (bool, error) {
	if f.claims.Add(1)%256 == 0 {
		if _, err := f.db.ExecContext(ctx, `DELETE FROM change_forms WHERE expires_at < now()`); err != nil {
			return false, fmt.Errorf("forms: sweep: %w", err)
		}
	}
	var got string
	err := f.db.QueryRowContext(ctx, `INSERT INTO change_forms (key, state, expires_at, owner) VALUES ($1, 'working', now() + $2::interval, $3)
		ON CONFLICT (key) DO UPDATE SET state = 'working', outcome = NULL, expires_at = excluded.expires_at, owner = excluded.owner
		WHERE change_forms.state = 'released' OR change_forms.expires_at < now()
		RETURNING key`, hashKey(key), db.Interval(f.workingTTL), f.owner()).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("forms: claim: %w", err)
	}
	return true, nil
}

// Wait implements Forms, looking for the outcome every poll. When the
// instance working on the form has died, it returns ErrAbandoned.
func (f *PostgresForms) Wait(ctx context.Context, key string) (Outcome, error) {
	h := hashKey(key)
	var asked time.Time
	for {
		var state, owner string
		var outcome sql.NullString
		err := f.db.QueryRowContext(ctx, `SELECT state, outcome, owner FROM change_forms WHERE key = $1`, h).Scan(&state, &outcome, &owner)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// Swept: long finished, and not saved (saved rows outlive any wait).
			return Outcome{Result: NotSaved}, nil
		case err != nil:
			return Outcome{}, fmt.Errorf("forms: wait: %w", err)
		case state != "working" && outcome.Valid:
			var o Outcome
			if err := json.Unmarshal([]byte(outcome.String), &o); err != nil {
				return Outcome{}, fmt.Errorf("forms: read an outcome: %w", err)
			}
			return o, nil
		case state == "working" && f.instances != nil && owner != "" && owner != f.owner() && time.Since(asked) >= aliveEvery:
			asked = time.Now()
			if alive, err := f.instances.Alive(ctx, owner); err == nil && !alive {
				return Outcome{}, ErrAbandoned
			}
		}
		select {
		case <-ctx.Done():
			return Outcome{}, ctx.Err()
		case <-time.After(f.poll):
		}
	}
}

// Finish implements Forms.
func (f *PostgresForms) Finish(ctx context.Context, key string, o Outcome) error {
	b, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("forms: keep an outcome: %w", err)
	}
	state, ttl := "done", f.ttl
	if !o.OK() {
		state, ttl = "released", f.releasedTTL
	}
	if _, err := f.db.ExecContext(ctx, `UPDATE change_forms SET state = $2, outcome = $3, expires_at = now() + $4::interval
		WHERE key = $1 AND state = 'working'`, hashKey(key), state, string(b), db.Interval(ttl)); err != nil {
		return fmt.Errorf("forms: keep an outcome: %w", err)
	}
	return nil
}
