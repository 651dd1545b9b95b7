module github.com/sinopay/sinopay

go 1.26
