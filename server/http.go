package server

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"time"
)

// HTTPLimits bound what one HTTP client may hold: the time to send the
// headers and the whole request, how long a kept-alive connection may sit
// idle, the size of the headers and of a body. WebSockets are not
// affected once upgraded (net/http clears the deadlines of a hijacked
// connection; the broker and the relay apply their own).
type HTTPLimits struct {
	ReadHeaderTimeout time.Duration // default 10 s
	ReadTimeout       time.Duration // the headers and the body; default 30 s
	WriteTimeout      time.Duration // the answer; default 2 minutes (API calls wait up to 30 s for a device)
	IdleTimeout       time.Duration // default 60 s
	MaxHeaderBytes    int           // default 64 KB
}

func (l HTTPLimits) withDefaults() HTTPLimits {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&l.ReadHeaderTimeout, 10*time.Second)
	def(&l.ReadTimeout, 30*time.Second)
	def(&l.WriteTimeout, 2*time.Minute)
	def(&l.IdleTimeout, time.Minute)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = 64 << 10
	}
	return l
}

// maxBody bounds any request body: the largest the API takes (a 256 KB
// thing-model body or a command) with room for its JSON.
const maxBody = 512 << 10

// bodyLimit answers 413 past maxBody bytes of a request body, whatever the
// handler. A body the handler did not read to its end (a refusal: 401,
// 405, 421…) is not read afterwards either: the connection is closed.
// net/http would otherwise read up to 256 KB of it, at the client's pace,
// before the next request.
func bodyLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			w.Header().Set("Connection", "close")
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		body := &eofReader{ReadCloser: http.MaxBytesReader(w, r.Body, maxBody)}
		r.Body = body
		next.ServeHTTP(w, r)
		if !body.eof {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
		}
	})
}

// eofReader notes whether its reader reached the end.
type eofReader struct {
	io.ReadCloser
	eof bool
}

func (r *eofReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if err == io.EOF {
		r.eof = true
	}
	return n, err
}

// HTTPServer returns an http.Server for s.Handler() with the limits l
// (zero fields take the defaults). errorLog, if not nil, gets net/http's
// own messages.
func (s *Server) HTTPServer(l HTTPLimits, errorLog *log.Logger) *http.Server {
	l = l.withDefaults()
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
		ErrorLog:          errorLog,
	}
}

// Shutdown stops hs: it stops accepting, waits up to grace for the
// requests being served, then closes every connection still open (a
// client holding a request open, however slowly it sends it, cannot keep
// the server from stopping). It reports how many connections were still
// open, or an error other than the end of grace.
func Shutdown(hs *http.Server, grace time.Duration) (forced bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err = hs.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return true, hs.Close()
	}
	return false, err
}
