package account

// WithKeyPrefix puts the service's kv keys under prefix instead of
// "account:": tests sharing a Redis use a random one.
func WithKeyPrefix(prefix string) Option { return func(s *Service) { s.prefix = prefix } }
