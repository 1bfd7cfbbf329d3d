"""Operations: health checks for load balancers and monitors."""
