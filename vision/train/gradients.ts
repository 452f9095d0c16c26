/**
 * Loads tfjs's gradient definitions. tfjs-core's Node build registers kernels' forward passes only;
 * the gradient configs (Add_grad, Conv2D_grad, …) ship as extensionless ES modules that Node cannot
 * load, and are compiled into the umbrella package's Node bundle. Importing the umbrella once, for
 * this side effect, registers them globally for every backend. Import this module from anything that
 * calls tf.grads / tf.variableGrads.
 */
import '@tensorflow/tfjs';
