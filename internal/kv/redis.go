package kv

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

var _ Store = (*Redis)(nil)

// RedisOptions says how to reach Redis. One address is a single node; several are a Cluster's
// seed nodes; with MasterName set, Addrs are Sentinels and the client follows that master.
// Zero durations and PoolSize take go-redis's defaults.
type RedisOptions struct {
	Addrs        []string
	Password     string
	DB           int
	MasterName   string
	PoolSize     int
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
}

// Redis is a Store in Redis, shared by every instance that points at the same server.
type Redis struct {
	client redis.UniversalClient
}

// NewRedis returns a Redis store for opts. It does not connect; call Ping to check the server.
// It returns an error when opts has no address.
func NewRedis(opts RedisOptions) (*Redis, error) {
	if len(opts.Addrs) == 0 {
		return nil, errors.New("kv new redis: no address")
	}
	c := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:        opts.Addrs,
		Password:     opts.Password,
		DB:           opts.DB,
		MasterName:   opts.MasterName,
		PoolSize:     opts.PoolSize,
		DialTimeout:  opts.DialTimeout,
		ReadTimeout:  opts.ReadTimeout,
		WriteTimeout: opts.WriteTimeout,
		// Callers bound each request (the WeChat callback has 5 seconds), so a command must give
		// up at the context's deadline rather than at the socket timeout.
		ContextTimeoutEnabled: true,
	})
	return &Redis{client: c}, nil
}

// The read-then-write steps below must not interleave with other clients, so each runs as one
// script. Every script touches a single key, which keeps them valid on Redis Cluster.
var (
	// EXISTS before INCR rather than testing for 1 afterwards, so a key that held "0" keeps its
	// expiry exactly as Memory does.
	incrScript = redis.NewScript(`
local created = redis.call('EXISTS', KEYS[1]) == 0
local n = redis.call('INCR', KEYS[1])
if created and tonumber(ARGV[1]) > 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n`)

	compareAndDeleteScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)

	compareAndExpireScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
	return 0
end
if tonumber(ARGV[2]) > 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
else
	redis.call('PERSIST', KEYS[1])
end
return 1`)
)

// millis converts ttl for PEXPIRE, rounding a positive ttl below a millisecond up so that it still
// expires rather than meaning "no expiry".
func millis(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return max(ttl.Milliseconds(), 1)
}

// Get returns the value of key, or ErrMiss when it is absent or expired.
func (r *Redis) Get(ctx context.Context, key string) (string, error) {
	v, err := r.client.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrMiss
	}
	if err != nil {
		return "", fmt.Errorf("kv get: %w", err)
	}
	return v, nil
}

// Set stores value under key, replacing any earlier value and its expiry.
func (r *Redis) Set(ctx context.Context, key, value string, ttl time.Duration) error {
	if err := checkTTL("set", ttl); err != nil {
		return err
	}
	if err := r.client.Set(ctx, key, value, ttl).Err(); err != nil {
		return fmt.Errorf("kv set: %w", err)
	}
	return nil
}

// SetNX stores value only when key is absent and reports whether it did.
func (r *Redis) SetNX(ctx context.Context, key, value string, ttl time.Duration) (bool, error) {
	if err := checkTTL("setnx", ttl); err != nil {
		return false, err
	}
	ok, err := r.client.SetNX(ctx, key, value, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("kv setnx: %w", err)
	}
	return ok, nil
}

// Delete removes keys; absent keys are not an error. Several keys go as one DEL per key in a
// pipeline, because a multi-key DEL fails on Cluster when the keys hash to different slots.
func (r *Redis) Delete(ctx context.Context, keys ...string) error {
	var err error
	switch len(keys) {
	case 0:
		return nil
	case 1:
		err = r.client.Del(ctx, keys[0]).Err()
	default:
		_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Del(ctx, k)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("kv delete: %w", err)
	}
	return nil
}

// Incr adds one to the integer at key; ttl applies only when the call creates the key.
func (r *Redis) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	if err := checkTTL("incr", ttl); err != nil {
		return 0, err
	}
	n, err := incrScript.Run(ctx, r.client, []string{key}, millis(ttl)).Int64()
	if err != nil {
		return 0, fmt.Errorf("kv incr: %w", err)
	}
	return n, nil
}

// TTL returns the time key has left, 0 when it never expires, or ErrMiss when it is absent.
func (r *Redis) TTL(ctx context.Context, key string) (time.Duration, error) {
	d, err := r.client.PTTL(ctx, key).Result()
	if err != nil {
		return 0, fmt.Errorf("kv ttl: %w", err)
	}
	// go-redis passes PTTL's sentinels through unscaled: -2 absent, -1 no expiry.
	switch d {
	case -2:
		return 0, ErrMiss
	case -1:
		return 0, nil
	}
	return d, nil
}

// CompareAndDelete deletes key only when its value equals expected, and reports whether it did.
func (r *Redis) CompareAndDelete(ctx context.Context, key, expected string) (bool, error) {
	n, err := compareAndDeleteScript.Run(ctx, r.client, []string{key}, expected).Int64()
	if err != nil {
		return false, fmt.Errorf("kv compare and delete: %w", err)
	}
	return n == 1, nil
}

// CompareAndExpire sets key's ttl only when its value equals expected, and reports whether it did.
func (r *Redis) CompareAndExpire(ctx context.Context, key, expected string, ttl time.Duration) (bool, error) {
	if err := checkTTL("compare and expire", ttl); err != nil {
		return false, err
	}
	n, err := compareAndExpireScript.Run(ctx, r.client, []string{key}, expected, millis(ttl)).Int64()
	if err != nil {
		return false, fmt.Errorf("kv compare and expire: %w", err)
	}
	return n == 1, nil
}

// Ping reports whether Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("kv ping: %w", err)
	}
	return nil
}

// Close closes the client and its connections.
func (r *Redis) Close() error {
	if err := r.client.Close(); err != nil {
		return fmt.Errorf("kv close: %w", err)
	}
	return nil
}

// Batch sends ops as one pipeline. go-redis splits a pipeline by node on
// Cluster, so the keys may live in different slots.
func (r *Redis) Batch(ctx context.Context, ops ...*Op) error {
	cmds := make([]redis.Cmder, len(ops))
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, o := range ops {
			if o.Err = o.check(); o.Err != nil {
				continue
			}
			switch o.kind {
			case opGet:
				cmds[i] = p.Get(ctx, o.key)
			case opSet:
				cmds[i] = p.Set(ctx, o.key, o.value, o.ttl)
			case opSetNX:
				cmds[i] = p.SetNX(ctx, o.key, o.value, o.ttl)
			case opCompareAndDelete:
				// EVAL rather than EVALSHA: inside a pipeline a missing
				// script could not be retried; Redis caches it by hash anyway.
				cmds[i] = compareAndDeleteScript.Eval(ctx, p, []string{o.key}, o.value)
			}
		}
		return nil
	})
	for i, o := range ops {
		c := cmds[i]
		if c == nil {
			continue
		}
		switch cmd := c.(type) {
		case *redis.StringCmd:
			o.Value, o.Err = cmd.Result()
			if errors.Is(o.Err, redis.Nil) {
				o.Miss, o.Err = true, nil
			}
		case *redis.StatusCmd:
			o.Err = cmd.Err()
		case *redis.BoolCmd:
			o.OK, o.Err = cmd.Result()
		case *redis.Cmd:
			n, cerr := cmd.Int64()
			o.OK, o.Err = n == 1, cerr
		}
		if o.Err != nil {
			o.Err = fmt.Errorf("kv batch: %w", o.Err)
		}
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("kv batch: %w", err)
	}
	return nil
}
