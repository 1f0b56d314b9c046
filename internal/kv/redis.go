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
// Cluster, so the keys of different ops may live in different slots (the
// keys of one script op may not: see ClaimOp).
//
// Script ops go as EVALSHA, which sends 40 bytes instead of the script.
// When Redis does not know a script (restarted, failed over, SCRIPT
// FLUSH), that op did nothing, and it is sent again as EVAL in a second
// pipeline; only then may it run after ops that follow it in the batch.
func (r *Redis) Batch(ctx context.Context, ops ...*Op) error {
	cmds := make([]redis.Cmder, len(ops))
	var err error
	if len(ops) == 1 {
		// One op needs no pipeline (the turn's last call): sent directly,
		// it skips go-redis's pipeline bookkeeping.
		if ops[0].Err = ops[0].check(); ops[0].Err == nil {
			cmds[0] = ops[0].send(ctx, r.client, true)
			err = cmds[0].Err()
		}
	} else {
		_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, o := range ops {
				if o.Err = o.check(); o.Err != nil {
					continue
				}
				cmds[i] = o.send(ctx, p, true)
			}
			return nil
		})
	}
	var retry []int
	for i, c := range cmds {
		if c != nil && redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		_, err = r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range retry {
				cmds[i] = ops[i].send(ctx, p, false)
			}
			return nil
		})
		// The batch failed as a whole if any command still did.
		for _, c := range cmds {
			if c != nil && c.Err() != nil && !errors.Is(c.Err(), redis.Nil) && err == nil {
				err = c.Err()
			}
		}
	}
	for i, o := range ops {
		if cmds[i] != nil {
			o.receive(cmds[i])
		}
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("kv batch: %w", err)
	}
	return nil
}

var (
	// SET NX, or the value in place; a reply {1} or {0, value}.
	setNXOrGetScript = redis.NewScript(`
local set
if tonumber(ARGV[2]) > 0 then
	set = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
else
	set = redis.call('SET', KEYS[1], ARGV[1], 'NX')
end
if set then
	return {1}
end
return {0, redis.call('GET', KEYS[1])}`)

	// KEYS: the claim, the lock, then the keys to read. ARGV: the claim's
	// value, the ttl in ms, the lock's token. The reply is {claimed,
	// locked, value in place of the claim (or ""), then a (found, value)
	// pair per read}: a Lua nil would end the array early.
	claimScript = redis.NewScript(`
local reply = {0, 0, ''}
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
	reply[1] = 1
	if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[2]) then
		reply[2] = 1
	end
else
	reply[3] = redis.call('GET', KEYS[1])
end
for i = 3, #KEYS do
	local v = redis.call('GET', KEYS[i])
	if v then
		reply[#reply + 1] = 1
		reply[#reply + 1] = v
	else
		reply[#reply + 1] = 0
		reply[#reply + 1] = ''
	end
end
return reply`)

	// KEYS: the key to set, the lock. ARGV: the value, the ttl in ms (0:
	// none), the lock's token. 1 when the lock was released.
	setAndReleaseScript = redis.NewScript(`
if tonumber(ARGV[2]) > 0 then
	redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
	redis.call('SET', KEYS[1], ARGV[1])
end
if redis.call('GET', KEYS[2]) == ARGV[3] then
	redis.call('DEL', KEYS[2])
	return 1
end
return 0`)
)

// send queues the op on p (or, on a client, runs it); a script goes as
// EVALSHA when sha is set.
func (o *Op) send(ctx context.Context, p redis.Cmdable, sha bool) redis.Cmder {
	script := func(s *redis.Script, keys []string, args ...any) redis.Cmder {
		if sha {
			return s.EvalSha(ctx, p, keys, args...)
		}
		return s.Eval(ctx, p, keys, args...)
	}
	switch o.kind {
	case opGet:
		return p.Get(ctx, o.key)
	case opSet:
		return p.Set(ctx, o.key, o.value, o.ttl)
	case opSetNX:
		return p.SetNX(ctx, o.key, o.value, o.ttl)
	case opCompareAndDelete:
		return script(compareAndDeleteScript, []string{o.key}, o.value)
	case opSetNXOrGet:
		return script(setNXOrGetScript, []string{o.key}, o.value, millis(o.ttl))
	case opClaim:
		return script(claimScript, append([]string{o.key, o.lockKey}, o.reads...), o.value, millis(o.ttl), o.token)
	case opSetAndRelease:
		return script(setAndReleaseScript, []string{o.key, o.lockKey}, o.value, millis(o.ttl), o.token)
	}
	return nil
}

// receive fills in the op's results from its command's reply.
func (o *Op) receive(c redis.Cmder) {
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
		switch o.kind {
		case opSetNXOrGet, opClaim:
			o.Err = o.receiveList(cmd)
		default:
			n, err := cmd.Int64()
			o.OK, o.Err = n == 1, err
		}
	}
	if o.Err != nil {
		o.Err = fmt.Errorf("kv batch: %w", o.Err)
	}
}

func (o *Op) receiveList(cmd *redis.Cmd) error {
	reply, err := cmd.Slice()
	if err != nil {
		return err
	}
	flag := func(i int) bool { n, _ := reply[i].(int64); return n == 1 }
	text := func(i int) string { v, _ := reply[i].(string); return v }
	if o.kind == opSetNXOrGet {
		if o.OK = flag(0); !o.OK && len(reply) > 1 {
			o.Value = text(1)
		}
		return nil
	}
	if len(reply) != 3+2*len(o.reads) {
		return fmt.Errorf("claim: unexpected reply of %d items", len(reply))
	}
	o.OK, o.Locked, o.Value = flag(0), flag(1), text(2)
	o.Reads = make([]Read, len(o.reads))
	for i, k := range o.reads {
		o.Reads[i] = Read{Key: k, Value: text(4 + 2*i), Miss: !flag(3 + 2*i)}
	}
	return nil
}
