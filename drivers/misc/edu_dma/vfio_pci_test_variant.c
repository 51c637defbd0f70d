// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio-pci-test-variant: a VFIO PCI variant driver for tests that does
 * not let its BARs be exported as dma-bufs, the way a variant driver
 * that presents a different BAR layout to user space must not. It binds
 * only through driver_override; everything else is vfio-pci-core's.
 * Tests use it to see VFIO_DEVICE_FEATURE_DMA_BUF refused with
 * EOPNOTSUPP.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

static int vfio_pci_test_variant_open(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev =
		container_of(core_vdev, struct vfio_pci_core_device, vdev);
	int ret;

	ret = vfio_pci_core_enable(vdev);
	if (ret)
		return ret;
	vfio_pci_core_finish_enable(vdev);
	return 0;
}

static const struct vfio_device_ops vfio_pci_test_variant_ops = {
	.name		= "vfio-pci-test-variant",
	.init		= vfio_pci_core_init_dev,
	.release	= vfio_pci_core_release_dev,
	.open_device	= vfio_pci_test_variant_open,
	.close_device	= vfio_pci_core_close_device,
	.ioctl		= vfio_pci_core_ioctl,
	.device_feature = vfio_pci_core_ioctl_feature,
	.read		= vfio_pci_core_read,
	.write		= vfio_pci_core_write,
	.mmap		= vfio_pci_core_mmap,
	.request	= vfio_pci_core_request,
	.match		= vfio_pci_core_match,
	.bind_iommufd	= vfio_iommufd_physical_bind,
	.unbind_iommufd	= vfio_iommufd_physical_unbind,
	.attach_ioas	= vfio_iommufd_physical_attach_ioas,
	.detach_ioas	= vfio_iommufd_physical_detach_ioas,
};

static int vfio_pci_test_variant_probe(struct pci_dev *pdev,
				       const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	int ret;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev,
				 &vfio_pci_test_variant_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	/* dma_buf_export stays false: this driver's BARs are not plain */
	dev_set_drvdata(&pdev->dev, vdev);
	ret = vfio_pci_core_register_device(vdev);
	if (ret) {
		vfio_put_device(&vdev->vdev);
		return ret;
	}
	return 0;
}

static void vfio_pci_test_variant_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(vdev);
	vfio_put_device(&vdev->vdev);
}

static const struct pci_device_id vfio_pci_test_variant_ids[] = {
	/* driver_override only */
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_ANY_ID, PCI_ANY_ID) },
	{}
};
MODULE_DEVICE_TABLE(pci, vfio_pci_test_variant_ids);

static struct pci_driver vfio_pci_test_variant_driver = {
	.name = "vfio-pci-test-variant",
	.id_table = vfio_pci_test_variant_ids,
	.probe = vfio_pci_test_variant_probe,
	.remove = vfio_pci_test_variant_remove,
	.err_handler = &vfio_pci_core_err_handlers,
	.driver_managed_dma = true,
};
module_pci_driver(vfio_pci_test_variant_driver);

MODULE_DESCRIPTION("Test-only VFIO PCI variant driver without dma-buf export");
MODULE_LICENSE("GPL");
