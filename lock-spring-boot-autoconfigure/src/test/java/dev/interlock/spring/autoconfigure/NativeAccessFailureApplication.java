package dev.interlock.spring.autoconfigure;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/**
 * Child-JVM main for {@link NativeAccessFailureAnalysisTests}: an application with only
 * Interlock's auto-configuration, started with the arguments given; Spring Boot prints the
 * failure analysis when it cannot start.
 *
 * @author Interlock team
 */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration(InterlockAutoConfiguration.class)
public class NativeAccessFailureApplication {

    /**
     * Starts the application.
     *
     * @param args Spring Boot command-line arguments, for example {@code --interlock.backend=shm}
     */
    public static void main(String[] args) {
        SpringApplication application = new SpringApplication(NativeAccessFailureApplication.class);
        application.setWebApplicationType(WebApplicationType.NONE);
        application.run(args).close();
    }
}
