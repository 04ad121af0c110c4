package gateway

import "github.com/picasso-faas/picasso"

// checkConfig lets a backend that restricts config (picasso.ConfigChecker)
// refuse an app's or a route's config before anything is written.
func (s *Server) checkConfig(config map[string]string) error {
	if checker, ok := s.backend.(picasso.ConfigChecker); ok {
		return checker.CheckConfig(config)
	}
	return nil
}
