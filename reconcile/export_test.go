package reconcile

// DailyReport is the arguments the daily report's schedule makes now.
func (s *Service) DailyReport() ReportArgs { return s.dailyReport() }
